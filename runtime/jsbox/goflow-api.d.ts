// GoFlow script API: what event handler and reducer scripts can use.
// This is the one definition of the injected API; the editor loads it (via
// jsbox.TypeScriptDefinitions) for completion and type checking.
//
// Scripts run in strict mode, with the standard built-ins except eval, the
// Function constructors, Proxy, typed arrays / ArrayBuffer, WeakRef and
// timers. Built-ins are frozen. During one call Date.now() and new Date() return
// the time recorded with the action, and Math.random() is seeded from it, so
// replaying an action reproduces its result.

/** A JSON value: the only kind of value that crosses into or out of a script. */
type GoFlowJSON = null | boolean | number | string | GoFlowJSON[] | { [key: string]: GoFlowJSON };

/** Deeply read-only view, as `ctx.state` and event payloads are frozen. */
type GoFlowDeepReadonly<T> = T extends (infer E)[]
  ? ReadonlyArray<GoFlowDeepReadonly<E>>
  : T extends object
    ? { readonly [K in keyof T]: GoFlowDeepReadonly<T[K]> }
    : T;

/** An action: handlers dispatch it, reducers fold it into the state. */
interface GoFlowAction<T extends string = string, P = unknown> {
  readonly type: T;
  /** Absent when the action carries no payload. Copied as JSON when dispatched. */
  readonly payload?: P;
}

/**
 * Makes an action. The payload must be JSON-serializable (Dates become ISO
 * strings, undefined properties are dropped).
 * @throws TypeError when type is not a non-empty string.
 */
declare function createAction<T extends string, P = undefined>(type: T, payload?: P): GoFlowAction<T, P>;

/**
 * Queues an action. Actions run through the page reducer, then the app reducer,
 * in dispatch order, after handleEvent returns; ctx.state does not change
 * meanwhile. Only available in event handlers.
 */
declare function dispatch(action: GoFlowAction): void;

/** The component whose event is being handled. */
interface GoFlowComponent<Props extends object = { [key: string]: GoFlowJSON }> {
  /** The page node id. */
  readonly id: string;
  /** The component type, e.g. "Button". */
  readonly type: string;
  /** A copy of the current props, including earlier setProps calls of this run. */
  getProps(): Props;
  /** Merges patch (shallowly) into the props; sent to the client as a component update. */
  setProps(patch: Partial<Props>): void;
  /**
   * Calls an action the component's manifest declares (e.g. "focus").
   * @throws TypeError for an action the component does not declare.
   */
  emit(action: string, params?: GoFlowJSON): void;
}

/** The event being handled. */
interface GoFlowEvent<P = GoFlowJSON> {
  /** The event name, e.g. "onClick". */
  readonly name: string;
  /** The event payload (validated against the manifest's payload schema), frozen. */
  readonly payload: GoFlowDeepReadonly<P>;
}

/** The second argument of handleEvent. */
interface GoFlowHandlerContext<State = GoFlowJSON, P = GoFlowJSON, Props extends object = { [key: string]: GoFlowJSON }> {
  /** The state when the event arrived: a frozen copy (null when there is none). */
  readonly state: GoFlowDeepReadonly<State>;
  readonly event: GoFlowEvent<P>;
  readonly component: GoFlowComponent<Props>;
}

/**
 * A handler script defines `function handleEvent(payload, ctx) { ... }`.
 * It may be async; it must finish within the call's deadline (50ms by default).
 * Its return value is ignored.
 */
type GoFlowHandler<State = GoFlowJSON, P = GoFlowJSON> = (
  payload: GoFlowDeepReadonly<P>,
  ctx: GoFlowHandlerContext<State, P>,
) => void | Promise<void>;

/**
 * A reducer script (page or app) defines `function reducer(state, action) { return newState }`.
 * state is undefined before the first action, so a default parameter sets the
 * initial state. It must be synchronous and return a JSON-serializable value
 * (not undefined). It gets its own copy of the state, so mutating it is harmless.
 */
type GoFlowReducer<State = GoFlowJSON> = (state: State | undefined, action: GoFlowAction) => State;

/** JSON Schema subset understood by utils.validateSchema. */
interface GoFlowSchema {
  type?: GoFlowSchemaType | GoFlowSchemaType[];
  enum?: GoFlowJSON[];
  const?: GoFlowJSON;
  properties?: { [name: string]: GoFlowSchema | boolean };
  required?: string[];
  additionalProperties?: GoFlowSchema | boolean;
  minProperties?: number;
  maxProperties?: number;
  items?: GoFlowSchema | boolean | (GoFlowSchema | boolean)[];
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minLength?: number;
  maxLength?: number;
  /** Go regexp syntax (RE2): no lookaround or backreferences. */
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  multipleOf?: number;
  allOf?: (GoFlowSchema | boolean)[];
  anyOf?: (GoFlowSchema | boolean)[];
  oneOf?: (GoFlowSchema | boolean)[];
  not?: GoFlowSchema | boolean;
  /** Other keywords are ignored ($ref is reported as unsupported). */
  [keyword: string]: unknown;
}

type GoFlowSchemaType = 'null' | 'boolean' | 'object' | 'array' | 'number' | 'integer' | 'string';

interface GoFlowSchemaResult {
  valid: boolean;
  /** At most 20; path is a JSON pointer into the value ("" for the value itself). */
  errors: { path: string; message: string }[];
}

declare const utils: {
  /**
   * Formats a time (milliseconds since the epoch, or a Date) in UTC. Layout
   * tokens: YYYY YY MMMM MMM MM M DD D dddd ddd HH H hh h mm m ss s SSS A a Z ZZ X x;
   * text in [brackets] is kept as is. Default: ISO 8601 ("YYYY-MM-DDTHH:mm:ss.SSS[Z]").
   */
  formatDate(ms: number | Date, layout?: string): string;
  /** Validates a JSON copy of value against a JSON Schema subset. */
  validateSchema(schema: GoFlowSchema | boolean, value: unknown): GoFlowSchemaResult;
  /** Adds a log line to this run (shown in the debugger); capped per run. */
  log(...args: unknown[]): void;
};

/** Maps to utils.log with a level. */
declare const console: {
  log(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  debug(...args: unknown[]): void;
};
