import { InitialSchema1764210000000 } from './1764210000000-initial-schema.js';

/** In order. A new migration is appended here; an applied one is never edited. */
export const MIGRATIONS: Function[] = [InitialSchema1764210000000];
