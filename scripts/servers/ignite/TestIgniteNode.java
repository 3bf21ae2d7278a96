import java.util.Collections;
import org.apache.ignite.Ignite;
import org.apache.ignite.Ignition;
import org.apache.ignite.configuration.ClientConnectorConfiguration;
import org.apache.ignite.configuration.DataRegionConfiguration;
import org.apache.ignite.configuration.DataStorageConfiguration;
import org.apache.ignite.configuration.IgniteConfiguration;
import org.apache.ignite.spi.communication.tcp.TcpCommunicationSpi;
import org.apache.ignite.spi.discovery.tcp.TcpDiscoverySpi;
import org.apache.ignite.spi.discovery.tcp.ipfinder.vm.TcpDiscoveryVmIpFinder;

/**
 * One Apache Ignite server node for cachestack's tests, on loopback only, in
 * memory (no persistence), with a small data region.
 *
 * Usage: java [--add-opens ...] -cp 'lib/*:classes' TestIgniteNode THIN_PORT DISCOVERY_PORT COMMUNICATION_PORT WORK_DIR
 * Prints "cachestack-ignite-ready" once the thin-client port is open.
 */
public final class TestIgniteNode {
    public static void main(String[] args) throws Exception {
        int thinPort = Integer.parseInt(args[0]);
        int discoveryPort = Integer.parseInt(args[1]);
        int communicationPort = Integer.parseInt(args[2]);
        String workDir = args[3];

        TcpDiscoveryVmIpFinder finder = new TcpDiscoveryVmIpFinder();
        finder.setAddresses(Collections.singletonList("127.0.0.1:" + discoveryPort));
        TcpDiscoverySpi discovery = new TcpDiscoverySpi();
        discovery.setLocalAddress("127.0.0.1");
        discovery.setLocalPort(discoveryPort);
        discovery.setLocalPortRange(0);
        discovery.setIpFinder(finder);

        TcpCommunicationSpi communication = new TcpCommunicationSpi();
        communication.setLocalAddress("127.0.0.1");
        communication.setLocalPort(communicationPort);
        communication.setLocalPortRange(0);

        ClientConnectorConfiguration thin = new ClientConnectorConfiguration();
        thin.setHost("127.0.0.1");
        thin.setPort(thinPort);
        thin.setPortRange(0);

        DataRegionConfiguration region = new DataRegionConfiguration();
        region.setName("default");
        region.setInitialSize(32L * 1024 * 1024);
        region.setMaxSize(192L * 1024 * 1024);
        region.setPersistenceEnabled(false);
        DataStorageConfiguration storage = new DataStorageConfiguration();
        storage.setDefaultDataRegionConfiguration(region);

        IgniteConfiguration config = new IgniteConfiguration();
        config.setIgniteInstanceName("cachestack-test-" + thinPort);
        config.setLocalHost("127.0.0.1");
        config.setWorkDirectory(workDir);
        config.setDiscoverySpi(discovery);
        config.setCommunicationSpi(communication);
        config.setClientConnectorConfiguration(thin);
        config.setDataStorageConfiguration(storage);
        config.setMetricsLogFrequency(0);
        config.setPeerClassLoadingEnabled(false);

        Ignite ignite = Ignition.start(config);
        System.out.println("cachestack-ignite-ready " + ignite.cluster().localNode().id());
        System.out.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> Ignition.stop(ignite.name(), true)));
        Thread.currentThread().join();
    }
}
