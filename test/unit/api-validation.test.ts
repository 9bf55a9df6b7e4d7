import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import 'reflect-metadata';
import { HttpStatus } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { parseIdempotencyKey } from '../../apps/api/common/idempotency-key.js';
import { Problem } from '../../apps/api/common/problem.js';
import { CreateFlavorDto } from '../../apps/api/flavors/create-flavor.dto.js';
import { CreateImageDto } from '../../apps/api/images/create-image.dto.js';
import { CreateInstanceDto } from '../../apps/api/instances/create-instance.dto.js';
import { CreateVolumeDto } from '../../apps/api/volumes/create-volume.dto.js';

async function faults(cls: new () => object, body: object): Promise<string[]> {
  const errors = await validate(plainToInstance(cls, body));
  return errors.flatMap((e) => Object.values(e.constraints ?? {}));
}

const instance = { flavor: 'm1.tiny', image: 'cirros', network: 'default' };

describe('API validation shared by every resource', () => {
  it('judges every resource name by one rule, with one message', async () => {
    const message = 'name must be 1-63 letters, digits, dots, dashes or underscores';
    for (const name of ['web-1', 'a', 'db_2.prod', 'x'.repeat(63)]) {
      assert.deepEqual(await faults(CreateInstanceDto, { ...instance, name }), [], name);
    }
    for (const name of ['', '-web', 'has space', 'x'.repeat(64), 'é']) {
      assert.deepEqual(await faults(CreateInstanceDto, { ...instance, name }), [message], name);
      assert.deepEqual(await faults(CreateVolumeDto, { name, sizeGb: 1 }), [message], name);
      assert.deepEqual(await faults(CreateFlavorDto, { name, vcpus: 1, ramMb: 64, diskGb: 0 }), [message]);
    }
    // Image names may be longer (128), by the same rule.
    assert.deepEqual(await faults(CreateImageDto, { name: 'i'.repeat(128) }), []);
    assert.deepEqual(await faults(CreateImageDto, { name: 'i'.repeat(129) }), [
      'name must be 1-128 letters, digits, dots, dashes or underscores',
    ]);
  });

  it('accepts an Idempotency-Key of 1-255 visible ASCII characters and refuses anything else as a 400', () => {
    assert.equal(parseIdempotencyKey(undefined), undefined);
    assert.equal(parseIdempotencyKey('build-7f3a'), 'build-7f3a');
    assert.equal(parseIdempotencyKey('k'.repeat(255)), 'k'.repeat(255));
    for (const bad of ['', 'has space', 'k'.repeat(256), 'clé', ['a', 'b']]) {
      assert.throws(
        () => parseIdempotencyKey(bad),
        (err: unknown) =>
          err instanceof Problem && err.status === HttpStatus.BAD_REQUEST && /Idempotency-Key/.test(err.detail),
        String(bad),
      );
    }
  });
});
