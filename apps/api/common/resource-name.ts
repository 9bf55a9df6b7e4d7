import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

/**
 * The names of instances, networks, volumes, images, flavors and projects: hostname-like,
 * starting with a letter or digit, so they are safe in a URL, a log line and a domain name.
 */
export function resourceNamePattern(maxLength = 63): RegExp {
  return new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${maxLength - 1}}$`);
}

export function isResourceName(value: unknown, maxLength = 63): value is string {
  return typeof value === 'string' && resourceNamePattern(maxLength).test(value);
}

/** Validates a resource name (see resourceNamePattern), one message for every resource; documents its pattern. */
export function IsResourceName(maxLength = 63): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ pattern: resourceNamePattern(maxLength).source }),
    IsString(),
    Matches(resourceNamePattern(maxLength), {
      message: ({ property }) => `${property} must be 1-${maxLength} letters, digits, dots, dashes or underscores`,
    }),
  );
}
