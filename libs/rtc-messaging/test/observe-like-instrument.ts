import { ModulesContainer } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';

/**
 * Nest's `instrument.instanceDecorator` as `@nestjs/observe` 0.3 implements it
 * (`createInstanceDecorator` in its `instrument/` folder), reduced to what decides whether a
 * provider survives it: every object provider is wrapped in a `Proxy` whose `get` trap hands out
 * a fresh bound wrapper for each method-valued property (not for classes, nor for callable objects
 * such as an axios instance); classes with `#private` members, and
 * subclasses of built-ins with internal slots (`Map`, …), are called on the raw instance. A proxy must return a non-configurable, non-writable property's own
 * value, so reading a method of a frozen provider through it throws `TypeError: 'get' on proxy:
 * property 'now' is a read-only and non-configurable data property …`, as apps made by `nest new`
 * did with `RTC_TOKEN_CLOCK`.
 */
export const OBSERVE_LIKE_INSTRUMENT = {
  instanceDecorator: (instance: unknown): unknown => {
    if (typeof instance !== 'object' || instance === null) return instance;
    const rawReceiver =
      /(^|[^\w$])#[\w$]/.test(String(instance.constructor)) || isSlotBacked(instance);
    const wrappers = new WeakMap<object, unknown>();
    return new Proxy(instance, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop);
        if (
          typeof value !== 'function' ||
          prop === 'constructor' ||
          /^\s*class\s/.test(String(value)) ||
          isCallableObject(value)
        ) {
          return value;
        }
        let wrapper = wrappers.get(value);
        if (!wrapper) {
          const method = value as (...args: unknown[]) => unknown;
          const self: unknown = rawReceiver ? target : receiver;
          wrapper = function traced(...args: unknown[]) {
            return method.apply(self, args);
          }.bind(undefined);
          wrappers.set(value, wrapper);
        }
        return wrapper;
      },
    });
  },
};

const SLOT_BACKED = new Set<unknown>([
  Map.prototype,
  Set.prototype,
  WeakMap.prototype,
  Date.prototype,
  Promise.prototype,
]);

const FUNCTION_PROTOTYPES = new Set<unknown>([
  Function.prototype,
  Object.getPrototypeOf(async function () {}),
  Object.getPrototypeOf(function* () {}),
  Object.getPrototypeOf(async function* () {}),
]);

/** A function that is really an object (an axios instance): handed out as it is, as observe does. */
function isCallableObject(fn: object): boolean {
  return !FUNCTION_PROTOTYPES.has(Object.getPrototypeOf(fn)) || Object.keys(fn).length > 0;
}

/** Whether `instance` inherits from a built-in whose methods read internal slots of `this`. */
function isSlotBacked(instance: object): boolean {
  for (
    let proto: unknown = Object.getPrototypeOf(instance);
    proto;
    proto = Object.getPrototypeOf(proto)
  ) {
    if (SLOT_BACKED.has(proto)) return true;
  }
  return false;
}

/**
 * What would stop a proxy like observe's from reading `value`'s properties: being frozen, or an own
 * property that is non-configurable and read-only (a proxy's `get` must then return that very
 * value, so it cannot hand out a wrapper). Empty when `value` is fine, or not an object.
 */
export function unproxiableParts(value: unknown): string[] {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return [];
  const problems: string[] = [];
  if (Object.isFrozen(value) && Reflect.ownKeys(value).length > 0) problems.push('frozen');
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
    if (descriptor.configurable) continue;
    // A function's own `prototype`, and an array's `length`, are non-configurable by the language.
    if (typeof value === 'function' && key === 'prototype') continue;
    if (Array.isArray(value) && key === 'length') continue;
    const readOnly = 'value' in descriptor ? !descriptor.writable : descriptor.get === undefined;
    if (readOnly) problems.push(`${String(key)} is read-only and non-configurable`);
  }
  return problems;
}

/**
 * Every provider instance of the modules of `app` whose name passes `ownModule`, by module and
 * token, that {@link unproxiableParts} finds something wrong with.
 */
export function unproxiableProviders(
  app: INestApplicationContext,
  ownModule: (name: string) => boolean,
): string[] {
  const problems: string[] = [];
  let walked = 0;
  for (const module of app.get(ModulesContainer).values()) {
    if (!ownModule(module.metatype.name)) continue;
    for (const [token, wrapper] of module.providers) {
      walked++;
      const name = typeof token === 'function' ? token.name : String(token);
      for (const part of unproxiableParts(wrapper.instance)) {
        problems.push(`${module.metatype.name} ${name}: ${part}`);
      }
    }
  }
  if (walked === 0) problems.push('no provider walked: the module filter matched nothing');
  return problems;
}
