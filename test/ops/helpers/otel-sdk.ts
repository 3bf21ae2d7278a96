/**
 * A small in-memory OpenTelemetry SDK implementing the public API's interfaces
 * (no SDK package is installed): a tracer provider that records finished spans,
 * an AsyncLocalStorage context manager, and a meter provider whose observable
 * instruments can be collected on demand. It stands in for the SDK, not for
 * any cachestack code.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import {
  type Attributes,
  type AttributeValue,
  type Context,
  type ContextManager,
  type Histogram,
  type HrTime,
  type Meter,
  type MeterProvider,
  type ObservableCallback,
  type ObservableCounter,
  type ObservableGauge,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanOptions,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api'

export interface FinishedSpan {
  name: string
  kind: SpanKind | undefined
  attributes: Attributes
  status: SpanStatus
  start: number
  end: number
  spanId: string
  traceId: string
  parentSpanId: string | undefined
}

const toMs = (t: TimeInput | undefined): number => {
  if (t === undefined) return Date.now()
  if (typeof t === 'number') return t
  if (t instanceof Date) return t.getTime()
  return (t as HrTime)[0] * 1000 + (t as HrTime)[1] / 1e6
}
let ids = 0
const hex = (n: number, len: number) => n.toString(16).padStart(len, '0')

class RecordingSpan implements Span {
  readonly #ctx: SpanContext
  readonly #out: FinishedSpan
  readonly #sink: FinishedSpan[]
  constructor(name: string, options: SpanOptions, parent: SpanContext | undefined, sink: FinishedSpan[]) {
    this.#ctx = {
      traceId: parent?.traceId ?? hex(++ids, 32),
      spanId: hex(++ids, 16),
      traceFlags: 1,
    }
    this.#sink = sink
    this.#out = {
      name,
      kind: options.kind,
      attributes: { ...options.attributes },
      status: { code: SpanStatusCode.UNSET },
      start: toMs(options.startTime),
      end: 0,
      spanId: this.#ctx.spanId,
      traceId: this.#ctx.traceId,
      parentSpanId: parent?.spanId,
    }
  }
  spanContext() {
    return this.#ctx
  }
  setAttribute(key: string, value: AttributeValue) {
    this.#out.attributes[key] = value
    return this
  }
  setAttributes(attributes: Attributes) {
    Object.assign(this.#out.attributes, attributes)
    return this
  }
  addEvent() {
    return this
  }
  addLink() {
    return this
  }
  addLinks() {
    return this
  }
  setStatus(status: SpanStatus) {
    this.#out.status = status
    return this
  }
  updateName(name: string) {
    this.#out.name = name
    return this
  }
  end(endTime?: TimeInput) {
    this.#out.end = toMs(endTime)
    this.#sink.push(this.#out)
  }
  isRecording() {
    return true
  }
  recordException() {}
}

export class MemoryTracerProvider implements TracerProvider {
  readonly spans: FinishedSpan[] = []
  getTracer(): Tracer {
    const spans = this.spans
    const tracer: Tracer = {
      startSpan(name: string, options: SpanOptions = {}, ctx?: Context) {
        const parent = trace.getSpan(ctx ?? ROOT_CONTEXT)?.spanContext()
        return new RecordingSpan(name, options, parent, spans)
      },
      startActiveSpan<F extends (span: Span) => unknown>(name: string, ...args: unknown[]): ReturnType<F> {
        const fn = args[args.length - 1] as F
        const span = tracer.startSpan(name, (args.length > 1 ? args[0] : {}) as SpanOptions)
        return contextManagerRef.current!.with(trace.setSpan(contextManagerRef.current!.active(), span), () =>
          fn(span),
        ) as ReturnType<F>
      },
    }
    return tracer
  }
}

const contextManagerRef: { current?: AsyncLocalContextManager } = {}

export class AsyncLocalContextManager implements ContextManager {
  readonly #als = new AsyncLocalStorage<Context>()
  constructor() {
    contextManagerRef.current = this
  }
  active(): Context {
    return this.#als.getStore() ?? ROOT_CONTEXT
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#als.run(ctx, () => fn.apply(thisArg, args))
  }
  bind<T>(_ctx: Context, target: T): T {
    return target
  }
  enable() {
    return this
  }
  disable() {
    this.#als.disable()
    return this
  }
}

export interface Point {
  metric: string
  value: number
  attributes: Attributes
}

/** A meter provider that keeps callbacks and recorded histogram values, and collects on demand. */
export class MemoryMeterProvider implements MeterProvider {
  readonly callbacks = new Map<string, Set<ObservableCallback>>()
  readonly recorded: Point[] = []
  getMeter(): Meter {
    const observable = (metric: string): ObservableCounter & ObservableGauge => {
      const set = this.callbacks.get(metric) ?? new Set()
      this.callbacks.set(metric, set)
      return {
        addCallback: (cb: ObservableCallback) => void set.add(cb),
        removeCallback: (cb: ObservableCallback) => void set.delete(cb),
      }
    }
    const recorded = this.recorded
    const histogram = (metric: string): Histogram => ({
      record: (value: number, attributes: Attributes = {}) => void recorded.push({ metric, value, attributes }),
    })
    const unsupported = () => {
      throw new Error('not used by cachestack')
    }
    return {
      createObservableCounter: observable,
      createObservableGauge: observable,
      createObservableUpDownCounter: observable,
      createHistogram: histogram,
      createCounter: unsupported,
      createUpDownCounter: unsupported,
      createGauge: unsupported,
      addBatchObservableCallback: unsupported,
      removeBatchObservableCallback: unsupported,
    } as unknown as Meter
  }
  async collect(): Promise<Point[]> {
    const points: Point[] = []
    for (const [metric, cbs] of this.callbacks) {
      for (const cb of cbs) {
        await cb({
          observe: (value: number, attributes: Attributes = {}) => points.push({ metric, value, attributes }),
        })
      }
    }
    return points
  }
}
