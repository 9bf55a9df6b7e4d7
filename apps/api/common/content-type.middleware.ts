import { HttpStatus } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Problem } from './problem.js';

/** JSON, `+json` types, and Glance's JSON patch (`application/openstack-images-v2.1-json-patch`). */
const JSON_TYPE = /^application\/(([a-z.+-]*\+)?json\b|openstack-images-v2\.1-json-patch\b)/i;
export const GLANCE_PATCH_TYPE = 'application/openstack-images-v2.1-json-patch';
/** Routes whose body is raw bytes (image uploads). */
const RAW_BODY = /^\/(v1|image\/v2)\/images\/[^/]+\/file$/;

/** A body that is not JSON is refused (415) rather than read as an empty object. */
export function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (
    !hasBody ||
    !['POST', 'PUT', 'PATCH'].includes(req.method) ||
    RAW_BODY.test(req.path) ||
    JSON_TYPE.test(req.headers['content-type'] ?? '')
  ) {
    return next();
  }
  next(
    new Problem(
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      'urn:nimbus:problem:unsupported-media-type',
      'Unsupported media type',
      'send the body as application/json',
    ),
  );
}
