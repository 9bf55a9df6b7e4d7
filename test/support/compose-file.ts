/** The repository's docker/compose.yaml for the tests: loaded afresh for each test, so a test may mutate it. */
import path from 'node:path';
import { REPO_ROOT } from '../../core/config.js';
import { loadComposeFile, type ComposeDoc } from './compose-check.js';
import type { Service } from './compose-doc.js';

export const DOCKER_DIR = path.join(REPO_ROOT, 'docker');
export const COMPOSE_FILE = path.join(DOCKER_DIR, 'compose.yaml');
export const options = { baseDir: DOCKER_DIR };

export const services = (doc: ComposeDoc) => doc.services as Record<string, Service>;
export const fresh = (): ComposeDoc => loadComposeFile(COMPOSE_FILE);
