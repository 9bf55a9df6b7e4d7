import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { ImageMember } from '../../../../core/images/image-members.js';
import { CurrentPrincipal, type Principal } from '../../common/auth.js';
import { Problem } from '../../common/problem.js';
import { isoSeconds } from '../common/endpoints.js';
import { GlanceErrors } from '../common/os-errors.js';
import { GlanceImages } from './glance-images.js';

const text = (v: unknown) => (typeof v === 'string' ? v : '');

/** Glance v2's member body. */
function glanceMember(m: ImageMember) {
  return {
    image_id: m.imageId,
    member_id: m.memberId,
    status: m.status,
    created_at: isoSeconds(m.createdAt),
    updated_at: isoSeconds(m.updatedAt),
    schema: '/v2/schemas/member',
  };
}

/** Glance v2 image members at /image/v2/images/{id}/members: sharing a `shared` image with other projects. */
@ApiExcludeController()
@UseFilters(GlanceErrors)
@Controller('image/v2/images/:id/members')
export class ImageMembersController {
  constructor(private readonly glance: GlanceImages) {}

  @Get()
  async list(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return { members: (await this.glance.listMembers(principal, id)).map(glanceMember), schema: '/v2/schemas/members' };
  }

  @Post()
  @HttpCode(200)
  async add(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: { member?: unknown }) {
    return glanceMember(await this.glance.addMember(principal, id, text(body?.member)));
  }

  @Get(':member')
  async show(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('member') member: string) {
    const found = (await this.glance.listMembers(principal, id)).find((m) => m.memberId === member);
    if (!found) throw Problem.notFound('image member', member);
    return glanceMember(found);
  }

  @Put(':member')
  async answer(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('member') member: string,
    @Body() body: { status?: unknown },
  ) {
    return glanceMember(await this.glance.answer(principal, id, member, text(body?.status)));
  }

  @Delete(':member')
  @HttpCode(204)
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('member') member: string) {
    await this.glance.removeMember(principal, id, member);
  }
}
