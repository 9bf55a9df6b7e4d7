import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../../core/config.js';
import { Public } from '../common/auth.js';
import { Problem } from '../common/problem.js';

/** Where `npm run build` puts the console (vite's outDir in console/vite.config.ts). */
export const CONSOLE_DIR = path.join(REPO_ROOT, 'dist', 'console');
const ASSET_NAME = /^[\w.-]+$/;

/**
 * The web console's files: the page at `/` and its hashed assets at `/assets/*`. Only those
 * two routes, so /v1, /graphql, /docs, /healthz and /metrics stay as they were; the console
 * routes with the URL's fragment (`/#/instances/ID`), so no other path needs a fallback.
 * The page is public (it asks for the token); everything it shows comes from /v1 with it.
 */
@ApiExcludeController()
@Public()
@Controller()
export class ConsoleController {
  @Get()
  index(@Res() res: Response): void {
    if (!existsSync(path.join(CONSOLE_DIR, 'index.html'))) {
      throw Problem.notFound('web console', `${CONSOLE_DIR}/index.html (run npm run build)`);
    }
    // Always revalidated: a new build must reach the browser at once; its assets are immutable.
    res.sendFile('index.html', { root: CONSOLE_DIR, headers: { 'Cache-Control': 'no-cache' } });
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res() res: Response): void {
    const root = path.join(CONSOLE_DIR, 'assets');
    if (!ASSET_NAME.test(file) || !existsSync(path.join(root, file))) throw Problem.notFound('asset', file);
    res.sendFile(file, { root, immutable: true, maxAge: '1y' });
  }
}
