export {
  type Asset,
  AssetManifest,
  type AssetResponse,
  type FingerprintOptions,
  fingerprintAssets,
} from './fingerprint.js'
