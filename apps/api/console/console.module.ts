import { Module } from '@nestjs/common';
import { ConsoleController } from './console.controller.js';
import { SessionController } from './session.controller.js';

/** The web console (console/, built into dist/console) and the session it signs in with. */
@Module({ controllers: [ConsoleController, SessionController] })
export class ConsoleModule {}
