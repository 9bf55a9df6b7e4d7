/**
 * Stands for an object that a `before` hook has yet to create, so a test file can name it
 * at the top (`const { stack } = useStack()`) and use it in its tests. Every property is
 * looked up on the real object when used; using it before the hook ran is an error that
 * says so, rather than a TypeError about `undefined`.
 */
export function lateBound<T extends object>(what: string, current: () => T | undefined): T {
  const real = (): T => {
    const value = current();
    if (value === undefined) {
      throw new Error(`${what} is not there yet: use it in a test or in a hook after its before`);
    }
    return value;
  };
  return new Proxy({} as T, {
    get(_, key) {
      const target = real();
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    set: (_, key, value) => Reflect.set(real(), key, value),
    has: (_, key) => Reflect.has(real(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
    // So that spreading it or listing its keys sees the real object's (the stand-in has none).
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(real(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
  });
}
