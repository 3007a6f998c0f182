// prelude.js runs once in every runtime, before any script. It is a function
// expression: Go calls it with the host natives (never reachable from scripts:
// they live only in this closure), the limits, and whether to harden the realm.
// It installs the guards and the injected API, then returns the entry points.
//
// Everything here captures the intrinsics it uses before scripts run, so a
// script that replaces a built-in cannot change what the guards do.
(function (host, limits, hardenRealm) {
  'use strict';
  const G = globalThis;
  const O = Object;
  const freeze = O.freeze;
  const defineProperty = O.defineProperty;
  const getOwnPropertyDescriptor = O.getOwnPropertyDescriptor;
  const getPrototypeOf = O.getPrototypeOf;
  const objectKeys = O.keys;
  const apply = Reflect.apply;
  const ownKeys = Reflect.ownKeys;
  const isArray = Array.isArray;
  const ArrayCtor = Array;
  const StringCtor = String;
  const DateCtor = Date;
  const dateGetTime = Date.prototype.getTime;
  const TypeErr = TypeError;
  const RangeErr = RangeError;
  const SyntaxErr = SyntaxError;
  const ErrorCtor = Error;
  const PromiseCtor = Promise;
  const promiseThen = Promise.prototype.then;
  const WeakMapCtor = WeakMap;
  const weakGet = WeakMap.prototype.get;
  const weakSet = WeakMap.prototype.set;
  const nativeParse = JSON.parse;
  const floor = Math.floor;
  const stringIndexOf = String.prototype.indexOf;
  const stringSlice = String.prototype.slice;
  const SymIterator = Symbol.iterator;

  const maxArr = limits.maxArrayLength;
  const maxStr = limits.maxStringLength;
  const maxDepth = limits.maxJSONDepth;

  // host.abort interrupts the runtime: the RangeError below is never seen by
  // the script, the call ends with ErrTooLarge.
  function tooLarge(what) {
    host.abort(what);
    throw new RangeErr(what);
  }

  function toStr(v, method) {
    if (v === null || v === undefined) throw new TypeErr(method + ' called on null or undefined');
    return typeof v === 'string' ? v : StringCtor(v);
  }

  function toIntegerOrInfinity(v) {
    const n = +v;
    if (n !== n) return 0;
    if (n === Infinity || n === -Infinity) return n;
    return n < 0 ? -floor(-n) : floor(n);
  }

  function toLen(v) {
    // An object length would be converted twice (here and by the built-in),
    // and could answer differently each time.
    if ((typeof v === 'object' && v !== null) || typeof v === 'function') {
      throw new TypeErr('array-like length must be a primitive');
    }
    const n = +v;
    if (!(n > 0)) return 0;
    return n === Infinity ? n : floor(n);
  }

  // lengthOf reads the length the built-in will see. Array lengths are data
  // properties (and Proxy is removed); an accessor length on an array-like
  // could report a small value here and a huge one to the built-in.
  function lengthOf(o) {
    if (isArray(o)) return o.length;
    if (o === null || o === undefined) return 0;
    if (typeof o === 'string') return o.length;
    let p = O(o);
    while (p !== null) {
      const d = getOwnPropertyDescriptor(p, 'length');
      if (d !== undefined) {
        if (!('value' in d)) throw new TypeErr('array-like objects with a length accessor are not supported');
        return toLen(d.value);
      }
      p = getPrototypeOf(p);
    }
    return 0;
  }

  function guardLength(o, name) {
    if (o === null || o === undefined) throw new TypeErr(name + ' called on null or undefined');
    const n = lengthOf(o);
    if (n > maxArr) tooLarge(name + ': length ' + n + ' exceeds ' + maxArr);
    return n;
  }

  function replaceMethod(obj, name, make) {
    const d = getOwnPropertyDescriptor(obj, name);
    if (d === undefined || typeof d.value !== 'function') return;
    defineProperty(obj, name, {
      value: make(d.value, name),
      writable: d.writable,
      enumerable: d.enumerable,
      configurable: d.configurable,
    });
  }

  // Method shorthand: like the built-ins they replace, the wrappers are not
  // constructors and have no prototype property.
  function lengthGuarded(orig, name) {
    const label = 'Array.prototype.' + name;
    return {
      [name](...args) {
        guardLength(this, label);
        return apply(orig, this, args);
      },
    }[name];
  }

  // ---- Array ----------------------------------------------------------------
  const AP = ArrayCtor.prototype;
  // push, pop and at do not walk the indices; iteration (values, keys,
  // entries, spread, for-of) is made interruptible through the iterator below.
  const unguarded = { constructor: 1, push: 1, pop: 1, at: 1, values: 1, keys: 1, entries: 1, toString: 1 };
  const special = { join: 1, toLocaleString: 1, concat: 1, flat: 1, flatMap: 1, unshift: 1 };
  const apNames = O.getOwnPropertyNames(AP);
  for (let i = 0; i < apNames.length; i++) {
    const name = apNames[i];
    if (unguarded[name] === 1 || special[name] === 1) continue;
    replaceMethod(AP, name, lengthGuarded);
  }

  // joining holds the arrays being joined, to cut cycles the way engines do.
  // It is reset at the start of every call.
  const joining = [];
  function joinParts(arr, label, sep, toPart) {
    const n = guardLength(arr, label);
    for (let i = 0; i < joining.length; i++) {
      if (joining[i] === arr) return '';
    }
    let total = n > 1 ? (n - 1) * sep.length : 0;
    if (total > maxStr) tooLarge(label + ': result exceeds ' + maxStr + ' characters');
    const parts = new ArrayCtor(n);
    joining[joining.length] = arr;
    try {
      for (let i = 0; i < n; i++) {
        const e = arr[i];
        const p = e === undefined || e === null ? '' : toPart(e);
        total += p.length;
        if (total > maxStr) tooLarge(label + ': result exceeds ' + maxStr + ' characters');
        parts[i] = p;
      }
    } finally {
      joining.length = joining.length - 1;
    }
    return parts;
  }
  replaceMethod(AP, 'join', (orig) => ({
    join(separator) {
      const sep = separator === undefined ? ',' : StringCtor(separator);
      return apply(orig, joinParts(O(requireObjectCoercible(this, 'join')), 'Array.prototype.join', sep, StringCtor), [sep]);
    },
  }).join);
  replaceMethod(AP, 'toLocaleString', (orig) => ({
    toLocaleString() {
      const parts = joinParts(O(requireObjectCoercible(this, 'toLocaleString')), 'Array.prototype.toLocaleString', ',',
        (e) => StringCtor(e.toLocaleString()));
      return apply(orig, parts, []);
    },
  }).toLocaleString);
  function requireObjectCoercible(v, name) {
    if (v === null || v === undefined) throw new TypeErr('Array.prototype.' + name + ' called on null or undefined');
    return v;
  }

  replaceMethod(AP, 'concat', (orig) => ({
    concat(...items) {
      let total = guardLength(this, 'Array.prototype.concat');
      for (let i = 0; i < items.length; i++) {
        const it = items[i];
        // Counting every object's length (spreadable or not) is conservative
        // and immune to a Symbol.isConcatSpreadable getter changing its answer.
        total += typeof it === 'object' && it !== null ? (lengthOf(it) || 1) : 1;
      }
      if (total > maxArr) tooLarge('Array.prototype.concat: result length ' + total + ' exceeds ' + maxArr);
      return apply(orig, this, items);
    },
  }).concat);

  replaceMethod(AP, 'unshift', (orig) => ({
    unshift(...items) {
      const n = guardLength(this, 'Array.prototype.unshift');
      if (n + items.length > maxArr) tooLarge('Array.prototype.unshift: length exceeds ' + maxArr);
      return apply(orig, this, items);
    },
  }).unshift);

  // flat and flatMap are rebuilt here: the native ones recurse in Go without a
  // depth bound and can build len*len elements before anyone can stop them.
  // clamped: the requested depth exceeded maxJSONDepth, so meeting an array
  // at depth 0 is an error rather than a silently different result.
  function flatInto(out, src, depth, clamped) {
    const n = guardLength(src, 'Array.prototype.flat');
    for (let i = 0; i < n; i++) {
      if (!(i in src)) continue;
      const e = src[i];
      if (depth > 0 && isArray(e)) {
        flatInto(out, e, depth - 1, clamped);
      } else {
        if (clamped && isArray(e)) tooLarge('Array.prototype.flat: arrays nested deeper than ' + maxDepth + ' levels');
        if (out.length >= maxArr) tooLarge('Array.prototype.flat: result length exceeds ' + maxArr);
        out[out.length] = e;
      }
    }
  }
  // countFlat sizes the result first, so that flattening a big array of big
  // arrays fails at once instead of after maxArr steps.
  function countFlat(src, depth, total) {
    const n = guardLength(src, 'Array.prototype.flat');
    if (depth <= 0) {
      total += n; // an upper bound: holes are skipped
    } else {
      for (let i = 0; i < n && total <= maxArr; i++) {
        const e = src[i];
        total = isArray(e) ? countFlat(e, depth - 1, total) : total + 1;
      }
    }
    if (total > maxArr) tooLarge('Array.prototype.flat: result length exceeds ' + maxArr);
    return total;
  }
  replaceMethod(AP, 'flat', () => ({
    flat(depthArg) {
      const src = O(requireObjectCoercible(this, 'flat'));
      let depth = depthArg === undefined ? 1 : toIntegerOrInfinity(depthArg);
      // The native flat recurses in Go without bound; flat(Infinity) is
      // served up to maxJSONDepth levels.
      const clamped = depth > maxDepth;
      if (clamped) depth = maxDepth;
      countFlat(src, depth, 0);
      const out = [];
      flatInto(out, src, depth, clamped);
      return out;
    },
  }).flat);
  replaceMethod(AP, 'flatMap', () => ({
    flatMap(fn, thisArg) {
      const src = O(requireObjectCoercible(this, 'flatMap'));
      const n = guardLength(src, 'Array.prototype.flatMap');
      if (typeof fn !== 'function') throw new TypeErr('Array.prototype.flatMap: callback is not a function');
      const out = [];
      for (let i = 0; i < n; i++) {
        if (!(i in src)) continue;
        const r = apply(fn, thisArg, [src[i], i, src]);
        if (isArray(r)) {
          flatInto(out, r, 0, false);
        } else {
          if (out.length >= maxArr) tooLarge('Array.prototype.flatMap: result length exceeds ' + maxArr);
          out[out.length] = r;
        }
      }
      return out;
    },
  }).flatMap);

  replaceMethod(ArrayCtor, 'from', (orig) => ({
    from(items, ...rest) {
      if (items !== null && items !== undefined && typeof items !== 'string' && items[SymIterator] == null) {
        guardLength(items, 'Array.from');
      }
      return apply(orig, this, [items, ...rest]);
    },
  }).from);

  // Native loops over iterators (spread, Array.from, new Set(...)) only check
  // for the deadline when they run JavaScript: a JavaScript next() makes
  // every step of an array iteration interruptible.
  const ArrayIteratorProto = getPrototypeOf([][SymIterator]());
  replaceMethod(ArrayIteratorProto, 'next', (orig) => ({
    next() {
      return apply(orig, this, []);
    },
  }).next);

  replaceMethod(Function.prototype, 'apply', (orig) => ({
    apply(thisArg, args) {
      if (args !== null && args !== undefined) guardLength(args, 'Function.prototype.apply');
      return apply(orig, this, [thisArg, args]);
    },
  }).apply);
  replaceMethod(Reflect, 'apply', (orig) => ({
    apply(fn, thisArg, args) {
      guardLength(args, 'Reflect.apply');
      return orig(fn, thisArg, args);
    },
  }).apply);
  replaceMethod(Reflect, 'construct', (orig) => ({
    construct(fn, args, ...rest) {
      guardLength(args, 'Reflect.construct');
      return orig(fn, args, ...rest);
    },
  }).construct);

  // ---- String ---------------------------------------------------------------
  const SP = StringCtor.prototype;
  // The guards convert arguments once and pass primitives on, so an object
  // whose valueOf answers differently the second time cannot slip past.
  replaceMethod(SP, 'repeat', (orig) => ({
    repeat(count) {
      const s = toStr(this, 'String.prototype.repeat');
      const n = toIntegerOrInfinity(count);
      if (n > 0 && n !== Infinity && s.length * n > maxStr) {
        tooLarge('String.prototype.repeat: result exceeds ' + maxStr + ' characters');
      }
      return apply(orig, s, [n]);
    },
  }).repeat);
  const padGuarded = (orig, name) => ({
    [name](maxLength, fillString) {
      const s = toStr(this, 'String.prototype.' + name);
      const n = toIntegerOrInfinity(maxLength);
      if (n > s.length && n > maxStr) tooLarge('String.prototype.' + name + ': result exceeds ' + maxStr + ' characters');
      return apply(orig, s, [n, fillString === undefined ? undefined : StringCtor(fillString)]);
    },
  })[name];
  replaceMethod(SP, 'padStart', padGuarded);
  replaceMethod(SP, 'padEnd', padGuarded);
  replaceMethod(SP, 'concat', (orig) => ({
    concat(...args) {
      const s = toStr(this, 'String.prototype.concat');
      let total = s.length;
      const strs = new ArrayCtor(args.length);
      for (let i = 0; i < args.length; i++) {
        strs[i] = StringCtor(args[i]);
        total += strs[i].length;
        if (total > maxStr) tooLarge('String.prototype.concat: result exceeds ' + maxStr + ' characters');
      }
      return apply(orig, s, strs);
    },
  }).concat);

  function countDollars(t) {
    let n = 0;
    let i = apply(stringIndexOf, t, ['$']);
    while (i >= 0) {
      n++;
      i = apply(stringIndexOf, t, ['$', i + 1]);
    }
    return n;
  }

  // expandReplacement is the spec's GetSubstitution, used when a replacement
  // template could expand beyond the limit and has to be accounted per match.
  function expandReplacement(t, matched, position, str, captures, groups) {
    let out = '';
    let i = 0;
    const m = captures.length;
    while (i < t.length) {
      const d = apply(stringIndexOf, t, ['$', i]);
      if (d < 0 || d + 1 >= t.length) {
        out += apply(stringSlice, t, [i]);
        break;
      }
      out += apply(stringSlice, t, [i, d]);
      const c = t[d + 1];
      i = d + 2;
      if (c === '$') {
        out += '$';
      } else if (c === '&') {
        out += matched;
      } else if (c === '`') {
        out += apply(stringSlice, str, [0, position]);
      } else if (c === "'") {
        out += apply(stringSlice, str, [position + matched.length]);
      } else if (c >= '0' && c <= '9') {
        const c2 = t[d + 2];
        let idx = +c;
        if (c2 !== undefined && c2 >= '0' && c2 <= '9' && +(c + c2) >= 1 && +(c + c2) <= m) {
          idx = +(c + c2);
          i = d + 3;
        }
        if (idx >= 1 && idx <= m) {
          const cap = captures[idx - 1];
          out += cap === undefined ? '' : cap;
        } else {
          out += '$' + c;
        }
      } else if (c === '<' && groups !== undefined) {
        const close = apply(stringIndexOf, t, ['>', d + 2]);
        if (close < 0) {
          out += '$<';
        } else {
          const v = groups[apply(stringSlice, t, [d + 2, close])];
          out += v === undefined ? '' : StringCtor(v);
          i = close + 1;
        }
      } else {
        out += '$' + c;
      }
    }
    return out;
  }

  // Per-match accounting, used only when the result could exceed the limit.
  function accounted(fn, inputLength, label) {
    let total = inputLength;
    return function (...a) {
      const r = StringCtor(fn(...a));
      total += r.length;
      if (total > maxStr) tooLarge(label + ': result exceeds ' + maxStr + ' characters');
      return r;
    };
  }
  function expander(t) {
    return function (...a) {
      let groups;
      let end = a.length;
      if (typeof a[end - 1] !== 'string') {
        groups = a[end - 1];
        end--;
      }
      const captures = [];
      for (let i = 1; i < end - 2; i++) captures[captures.length] = a[i];
      return expandReplacement(t, a[0], a[end - 2], a[end - 1], captures, groups);
    };
  }
  const replaceGuarded = (orig, name) => {
    const label = 'String.prototype.' + name;
    return {
      [name](pattern, replacement) {
        const s = toStr(this, label);
        if (typeof replacement === 'function') {
          const fn = replacement;
          return apply(orig, s, [pattern, accounted((...a) => apply(fn, undefined, a), s.length, label)]);
        }
        const t = StringCtor(replacement);
        // Upper bound: every position matches and every $ expands to the
        // whole input. Only when that is too big is each match accounted.
        const perMatch = t.length + (apply(stringIndexOf, t, ['$']) < 0 ? 0 : countDollars(t) * s.length);
        if (s.length + (s.length + 1) * perMatch <= maxStr) return apply(orig, s, [pattern, t]);
        return apply(orig, s, [pattern, accounted(expander(t), s.length, label)]);
      },
    }[name];
  };
  replaceMethod(SP, 'replace', replaceGuarded);
  replaceMethod(SP, 'replaceAll', replaceGuarded);

  // ---- JSON -----------------------------------------------------------------
  // stringify runs in Go with a size budget, a depth cap and cycle detection:
  // the native one cannot be interrupted, and a shared-subtree "DAG bomb"
  // expands exponentially. parse checks nesting before the native parser
  // (which recurses in Go) sees the text.
  const J = JSON;
  replaceMethod(J, 'stringify', () => ({
    stringify(value, replacer, space) {
      return host.stringify(value, replacer, space);
    },
  }).stringify);
  replaceMethod(J, 'parse', () => ({
    parse(text, reviver) {
      const s = StringCtor(text);
      host.checkJSON(s);
      return apply(nativeParse, J, [s, reviver]);
    },
  }).parse);

  // ---- RegExp ---------------------------------------------------------------
  // Patterns Go's regexp can run are linear-time. The others (lookaround,
  // backreferences) run on a backtracking engine that ignores the runtime's
  // interrupt; host.regexpGuard first runs the same match in Go with a match
  // timeout. The pattern and flags are read with the built-in getters, which
  // see the real pattern whatever properties the object was given.
  const RP = RegExp.prototype;
  const rxGetter = (name) => getOwnPropertyDescriptor(RP, name).get;
  const rxSource = rxGetter('source');
  const rxGlobal = rxGetter('global');
  const rxSticky = rxGetter('sticky');
  const rxIgnoreCase = rxGetter('ignoreCase');
  const rxMultiline = rxGetter('multiline');
  const rxDotAll = rxGetter('dotAll');
  const rxUnicode = rxGetter('unicode');
  const MapCtor = Map;
  const mapGet = Map.prototype.get;
  const mapSet = Map.prototype.set;
  const mapClear = Map.prototype.clear;
  const mapSize = getOwnPropertyDescriptor(Map.prototype, 'size').get;
  // source -> true when linear-time whatever the flags. Literals make a new
  // RegExp object per evaluation, so the cache is keyed by source.
  const rxLinear = new MapCtor();
  function rxGuard(rx, s) {
    const source = apply(rxSource, rx, []);
    let linear = apply(mapGet, rxLinear, [source]);
    if (linear === undefined) {
      linear = host.regexpLinear(source);
      if (apply(mapSize, rxLinear, []) >= 512) apply(mapClear, rxLinear, []);
      apply(mapSet, rxLinear, [source, linear]);
    }
    if (linear) return;
    const flags = (apply(rxIgnoreCase, rx, []) ? 'i' : '') + (apply(rxMultiline, rx, []) ? 'm' : '') +
      (apply(rxDotAll, rx, []) ? 's' : '') + (apply(rxUnicode, rx, []) ? 'u' : '');
    const from = apply(rxGlobal, rx, []) || apply(rxSticky, rx, []) ? toLen(rx.lastIndex) : 0;
    host.regexpGuard(source, flags, s, from);
  }
  replaceMethod(RP, 'exec', (orig) => ({
    exec(input) {
      const s = StringCtor(input);
      rxGuard(this, s);
      return apply(orig, this, [s]);
    },
  }).exec);
  replaceMethod(RP, 'test', (orig) => ({
    test(input) {
      const s = StringCtor(input);
      rxGuard(this, s);
      return apply(orig, this, [s]);
    },
  }).test);

  // ---- no code generation, no host objects, no nondeterminism --------------
  function disabledConstructor(name, proto) {
    const stub = function () {
      throw new TypeErr(name + ' is disabled in scripts');
    };
    defineProperty(stub, 'name', { value: name });
    stub.prototype = proto; // keeps `f instanceof Function` working
    defineProperty(proto, 'constructor', { value: stub, writable: true, enumerable: false, configurable: true });
    return stub;
  }
  const FunctionStub = disabledConstructor('Function', Function.prototype);
  defineProperty(G, 'Function', { value: FunctionStub, writable: true, enumerable: false, configurable: true });
  disabledConstructor('GeneratorFunction', getPrototypeOf(function* () {}));
  disabledConstructor('AsyncFunction', getPrototypeOf(async function () {}));
  const removed = ['eval', 'Proxy', 'GoError', 'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Atomics',
    'WeakRef', 'FinalizationRegistry', 'Uint8Array', 'Uint8ClampedArray', 'Int8Array', 'Uint16Array',
    'Int16Array', 'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'BigInt64Array',
    'BigUint64Array', 'Float16Array'];
  for (let i = 0; i < removed.length; i++) delete G[removed[i]];

  // ---- the injected API ------------------------------------------------------
  function createAction(type, payload) {
    if (typeof type !== 'string' || type === '') {
      throw new TypeErr('createAction(type, payload): type must be a non-empty string');
    }
    return payload === undefined ? { type } : { type, payload };
  }
  function dispatch(action) {
    if (action === null || typeof action !== 'object') {
      throw new TypeErr('dispatch(action): action must be an object, e.g. createAction(type, payload)');
    }
    const type = action.type;
    if (typeof type !== 'string' || type === '') {
      throw new TypeErr('dispatch(action): action.type must be a non-empty string');
    }
    host.dispatch(type, action.payload);
  }
  const logger = (level) => ({
    [level](...args) {
      host.log(level, args);
    },
  })[level];
  const utils = freeze({
    formatDate(ms, layout) {
      const t = ms instanceof DateCtor ? apply(dateGetTime, ms, []) : ms;
      if (typeof t !== 'number') throw new TypeErr('utils.formatDate(ms, layout): ms must be a number or a Date');
      return host.formatDate(t, layout === undefined ? undefined : StringCtor(layout));
    },
    validateSchema(schema, value) {
      return host.validateSchema(schema, value);
    },
    log: logger('log'),
  });
  const consoleObj = freeze({
    log: logger('log'),
    info: logger('info'),
    warn: logger('warn'),
    error: logger('error'),
    debug: logger('debug'),
  });
  const constant = { writable: false, enumerable: false, configurable: false };
  defineProperty(G, 'createAction', { value: createAction, ...constant });
  defineProperty(G, 'dispatch', { value: dispatch, ...constant });
  defineProperty(G, 'utils', { value: utils, ...constant });
  defineProperty(G, 'console', { value: consoleObj, ...constant });

  // ---- hardening (pooled runtimes) ------------------------------------------
  // A pooled runtime serves many calls, so nothing a script can reach may
  // carry state to the next call: every reachable intrinsic is frozen, and
  // scripts run in strict mode inside a function, so they cannot add globals.
  //
  // Freezing alone breaks ordinary code that assigns a property an intrinsic
  // prototype already has (`err.name = 'X'`, `obj.toString = f`): the
  // inherited property is read-only. These are turned into accessors whose
  // setter defines the property on the receiver instead.
  function tame(proto, name) {
    const d = getOwnPropertyDescriptor(proto, name);
    if (d === undefined || !('value' in d)) return;
    const value = d.value;
    defineProperty(proto, name, {
      get: { [name]() { return value; } }[name],
      set: {
        [name](v) {
          if (this === proto) throw new TypeErr('Cannot assign to read only property ' + StringCtor(name) + ' of a built-in');
          defineProperty(this, name, { value: v, writable: true, enumerable: true, configurable: true });
        },
      }[name],
      enumerable: d.enumerable,
      configurable: false,
    });
  }
  function harden(roots) {
    const seen = new WeakMapCtor();
    const stack = roots;
    while (stack.length > 0) {
      const o = stack[stack.length - 1];
      stack.length = stack.length - 1;
      if ((typeof o !== 'object' && typeof o !== 'function') || o === null || apply(weakGet, seen, [o])) continue;
      apply(weakSet, seen, [o, true]);
      freeze(o);
      stack[stack.length] = getPrototypeOf(o);
      const ks = ownKeys(o);
      for (let i = 0; i < ks.length; i++) {
        const d = getOwnPropertyDescriptor(o, ks[i]);
        if (d === undefined) continue;
        if ('value' in d) {
          stack[stack.length] = d.value;
        } else {
          stack[stack.length] = d.get;
          stack[stack.length] = d.set;
        }
      }
    }
  }
  if (hardenRealm) {
    const objectMethods = ['constructor', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable',
      'toLocaleString', 'toString', 'valueOf'];
    for (let i = 0; i < objectMethods.length; i++) tame(O.prototype, objectMethods[i]);
    const errors = [ErrorCtor, TypeErr, RangeErr, SyntaxErr, ReferenceError, EvalError, URIError, AggregateError];
    for (let i = 0; i < errors.length; i++) {
      tame(errors[i].prototype, 'name');
      tame(errors[i].prototype, 'message');
      tame(errors[i].prototype, 'constructor');
    }
    tame(ErrorCtor.prototype, 'toString');
    tame(Function.prototype, 'toString');
    tame(AP, 'toString');
    harden([
      G,
      getPrototypeOf(function* () {}),
      getPrototypeOf(async function () {}),
      ArrayIteratorProto,
      getPrototypeOf(new Map()[Symbol.iterator]()),
      getPrototypeOf(new Set()[Symbol.iterator]()),
      getPrototypeOf(''[Symbol.iterator]()),
      getPrototypeOf(/x/[Symbol.matchAll]('')),
    ]);
  }

  // ---- entry points ----------------------------------------------------------
  // report turns whatever was thrown into a message while the deadline still
  // runs: String(e) may call script code.
  function report(e) {
    let msg;
    let stack;
    try {
      if (e instanceof ErrorCtor) {
        msg = StringCtor(e);
        const st = e.stack;
        if (typeof st === 'string') stack = st;
      } else if (typeof e === 'object' && e !== null) {
        const j = host.stringify(e);
        msg = 'uncaught ' + (j === undefined ? StringCtor(e) : j);
      } else {
        msg = 'uncaught ' + (typeof e === 'string' ? host.stringify(e) : StringCtor(e));
      }
    } catch (e2) {
      msg = 'uncaught exception (could not be converted to a string)';
    }
    host.fail(msg, stack);
  }

  // State and props are built (from the JSON the host holds) only when the
  // handler reads them.
  function makeCtx(eventName, payload, nodeId, compType) {
    let state;
    let stateLoaded = false;
    let props;
    const loadProps = () => {
      if (props === undefined) {
        props = host.input('props');
        if (props === undefined) props = {};
      }
      return props;
    };
    const component = freeze({
      id: nodeId,
      type: compType,
      getProps() {
        return host.copy(loadProps());
      },
      setProps(patch) {
        if (patch === null || typeof patch !== 'object' || isArray(patch)) {
          throw new TypeErr('ctx.component.setProps(patch): patch must be an object');
        }
        const c = host.setProps(patch);
        const p = loadProps();
        const ks = objectKeys(c);
        for (let i = 0; i < ks.length; i++) {
          defineProperty(p, ks[i], { value: c[ks[i]], writable: true, enumerable: true, configurable: true });
        }
      },
      emit(action, params) {
        host.emit(action, params);
      },
    });
    return freeze({
      get state() {
        if (!stateLoaded) {
          const s = host.input('state', true);
          state = s === undefined ? null : s;
          stateLoaded = true;
        }
        return state;
      },
      event: freeze({ name: eventName, payload }),
      component,
    });
  }

  function handler(userFn, eventName, nodeId, compType) {
    joining.length = 0;
    try {
      const fn = userFn().handleEvent;
      if (typeof fn !== 'function') {
        host.invalid('the script does not define function handleEvent(payload, ctx)');
        return;
      }
      const payload = host.input('payload', true);
      const r = fn(payload, makeCtx(eventName, payload, nodeId, compType));
      // An async handler finishes in the promise jobs that run before the
      // call returns to Go, still under the deadline.
      if (r instanceof PromiseCtor) apply(promiseThen, r, [undefined, report]);
    } catch (e) {
      report(e);
    }
  }

  function reducer(userFn, type) {
    joining.length = 0;
    try {
      const fn = userFn().reducer;
      if (typeof fn !== 'function') {
        host.invalid('the script does not define function reducer(state, action)');
        return;
      }
      const state = host.input('state');
      const payload = host.input('payload');
      const action = payload === undefined ? { type } : { type, payload };
      const next = fn(state, action);
      if (next === undefined) {
        host.fail('reducer returned undefined; return the new state (or null)');
        return;
      }
      if (next instanceof PromiseCtor) {
        host.fail('reducer returned a Promise; reducers must be synchronous');
        return;
      }
      host.setResult(next);
    } catch (e) {
      report(e);
    }
  }

  return freeze({ handler, reducer });
})
