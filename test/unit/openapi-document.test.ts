/**
 * The OpenAPI document, built from the real controllers without a stack (Nest's preview mode
 * instantiates no provider): the problem+json responses and the constraints the validators
 * enforce are in it. test/e2e/api-fuzzing.test.ts checks it against the live server.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NestFactory } from '@nestjs/core';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { AppModule } from '../../apps/api/app.module.js';
import { createOpenApiDocument } from '../../apps/api/common/openapi.js';

describe('the OpenAPI document', () => {
  let app: INestApplication;
  let doc: OpenAPIObject;
  before(async () => {
    const config = loadConfig({ NIMBUS_DATA_DIR: '/nonexistent' });
    app = await NestFactory.create(AppModule.forRoot(config, createLogger('api', 'silent')), {
      preview: true,
      logger: false,
      abortOnError: false,
    });
    doc = createOpenApiDocument(app);
  });
  after(() => app?.close());

  const bodySchema = (path: string, ref: string) => {
    const schema = doc.components!.schemas![ref];
    const op = doc.paths[path].post as { requestBody: { content: Record<string, { schema: unknown }> } };
    assert.deepEqual(op.requestBody.content['application/json'].schema, { $ref: `#/components/schemas/${ref}` });
    const ajv = new AjvModule.default({ strict: false, allErrors: true });
    addFormatsModule.default(ajv);
    return ajv.compile({ ...schema, components: doc.components });
  };

  it('declares every problem+json response a route answers, with the Problem schema', () => {
    assert.ok(doc.components?.schemas?.ProblemBody, 'the shared Problem schema');
    const responses = (path: string, method: 'get' | 'post' | 'put' | 'delete') =>
      Object.keys(doc.paths[path][method]!.responses).sort();
    assert.deepEqual(responses('/v1/instances', 'post'), [
      '202',
      '400',
      '401',
      '403',
      '409',
      '413',
      '415',
      '422',
      '429',
      '503',
    ]);
    assert.deepEqual(responses('/v1/instances/{id}', 'get'), ['200', '400', '401', '404', '429']);
    assert.deepEqual(responses('/v1/hosts', 'get'), ['200', '400', '401', '403', '429'], 'admin only: 403');
    assert.deepEqual(responses('/v1/volumes/{id}', 'delete'), ['204', '400', '401', '403', '404', '409', '429']);
    assert.deepEqual(responses('/healthz', 'get'), ['200', '503']);
    const problem = doc.paths['/v1/instances/{id}'].get!.responses['404'] as { content: Record<string, unknown> };
    assert.deepEqual(problem.content, {
      'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemBody' } },
    });
  });

  it('says a volume is a new one or an existing one, never both', () => {
    const valid = bodySchema('/v1/instances', 'CreateInstanceDto');
    const base = { name: 'web-1', flavor: 'm1.small', image: 'cirros', network: 'default' };
    const id = '0b7e5c1a-8f57-4d6e-9d1f-2a4c7e3b9f10';
    assert.ok(valid({ ...base, volume: { sizeGb: 1 } }));
    assert.ok(valid({ ...base, volume: { id } }));
    assert.ok(!valid({ ...base, volume: { sizeGb: 1, id } }), 'both');
    assert.ok(!valid({ ...base, volume: {} }), 'neither');
    assert.ok(!valid({ ...base, volume: { sizeGb: 1.5 } }), 'a whole number of GB');
    assert.ok(!valid({ ...base, name: 'web 1' }), 'names are hostname-like');
    assert.ok(!valid({ ...base, extra: 1 }), 'unknown fields are refused');
  });

  it('states the CIDR, address and segmentation rules of a network', () => {
    const valid = bodySchema('/v1/networks', 'CreateNetworkDto');
    const net = { name: 'n1', cidr: '10.1.0.0/24', segmentation: { type: 'vlan', id: 100 } };
    assert.ok(valid(net));
    assert.ok(
      valid({
        ...net,
        segmentation: { type: 'flat' },
        gateway: '10.1.0.1',
        dnsServers: ['192.0.2.53', '2001:db8::53'],
      }),
    );
    assert.ok(!valid({ ...net, cidr: '10.1.0.0/30' }), '/8 to /29');
    assert.ok(!valid({ ...net, cidr: '10.1.0.0' }), 'a prefix');
    assert.ok(!valid({ ...net, gateway: '10.1.0.01' }), 'four-part decimal, no leading zeros');
    assert.ok(!valid({ ...net, segmentation: { type: 'vlan' } }), 'a VLAN needs its id');
    assert.ok(!valid({ ...net, segmentation: { type: 'vlan', id: 4095 } }), 'VLAN ids 1-4094');
    assert.ok(!valid({ ...net, segmentation: { type: 'flat', id: 7 } }), 'flat has no id');
    assert.ok(valid({ ...net, segmentation: { type: 'vxlan', id: 16_777_215 } }));
    assert.ok(
      !valid({ ...net, dnsServers: ['a', 'b', 'c', 'd', 'e', 'f'].map((x, i) => `192.0.2.${i}`) }),
      'at most 5',
    );
  });
});
