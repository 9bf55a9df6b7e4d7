import { ArgumentsHost, Catch, Inject, Injectable, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from '../../../../core/logger.js';
import { LOGGER } from '../../common/core.module.js';
import { ProblemFilter } from '../../common/problem.filter.js';

/** Nova's (and Cinder's) fault names by status: `{"itemNotFound": {"message", "code"}}`. */
const NOVA_FAULTS: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  422: 'badRequest',
  503: 'serviceUnavailable',
};

const HTTP_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  503: 'Service Unavailable',
};

export type ErrorStyle = 'nova' | 'neutron' | 'keystone' | 'glance';

/** The error body each OpenStack service answers with; 422 (ours) is their 400. */
export function errorBody(style: ErrorStyle, status: number, message: string, code?: string): [number, unknown] {
  const s = status === 422 ? 400 : status;
  const title = HTTP_TITLES[s] ?? 'Error';
  switch (style) {
    case 'nova':
      return [s, { [NOVA_FAULTS[s] ?? 'computeFault']: { message, code: s } }];
    case 'neutron':
      return [s, { NeutronError: { type: code ?? `HTTP${title.replace(/ /g, '')}`, message, detail: '' } }];
    case 'keystone':
      return [s, { error: { code: s, message, title } }];
    case 'glance':
      return [s, { code: s, title, message }];
  }
}

/** Turns any error into the OpenStack service's own error shape; the status is the native API's. */
@Catch()
abstract class OpenstackErrors implements ExceptionFilter {
  protected abstract readonly style: ErrorStyle;
  private readonly problems: ProblemFilter;

  constructor(@Inject(LOGGER) log: Logger) {
    this.problems = new ProblemFilter(log);
  }

  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const p = this.problems.toProblem(err);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // A domain error's code (NetworkInUse, NetworkNameInUse) is the Neutron type; others get HTTP<Title>.
    const code = /^[A-Z][A-Za-z]+$/.test(p.title) ? p.title : undefined;
    const [status, body] = errorBody(this.style, p.status, p.detail, code);
    res.status(status).json(body);
  }
}

/** One filter class per style: each is a provider Nest injects the logger into. */
function filterFor(style: ErrorStyle) {
  @Catch()
  @Injectable()
  class StyledErrors extends OpenstackErrors {
    protected readonly style = style;
  }
  return StyledErrors;
}

export const NovaErrors = filterFor('nova');
export const NeutronErrors = filterFor('neutron');
export const KeystoneErrors = filterFor('keystone');
export const GlanceErrors = filterFor('glance');
