export * from './task-queues.js';
export * from './errors.js';
export * from './instances.js';
export * from './activities.js';
export * from './network.js';
export * from './storage.js';
export * from './search-attributes.js';
export * from './failure-injection.js';
