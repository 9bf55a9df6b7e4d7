import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  Optional,
  Param,
  Post,
  UseFilters,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '../../common/auth.js';
import { Problem } from '../../common/problem.js';
import { NovaErrors } from '../common/os-errors.js';
import { devicePath } from '../volume/volume-view.js';
import { NovaServers } from './nova-servers.js';
import { INSTANCE_VOLUMES, type InstanceVolumes } from './volume-attachments.js';

const attachmentView = (serverId: string, v: { id: string; device: string | null }) => ({
  id: v.id,
  volumeId: v.id,
  serverId,
  device: devicePath(v.device),
});

/** Nova's os-volume_attachments: the instance's volumes, and attach/detach through the native service. */
@ApiExcludeController()
@UseFilters(NovaErrors)
@Controller('compute/v2.1/servers/:id/os-volume_attachments')
export class VolumeAttachmentsController {
  constructor(
    private readonly servers: NovaServers,
    @Optional() @Inject(INSTANCE_VOLUMES) private readonly volumes?: InstanceVolumes,
  ) {}

  @Get()
  async list(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    const view = await this.servers.get(principal, id);
    return { volumeAttachments: view.volumes.map((v) => attachmentView(id, v)) };
  }

  @Post()
  async attach(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: { volumeAttachment?: { volumeId?: string } },
  ) {
    const volumeId = body.volumeAttachment?.volumeId;
    if (!volumeId) throw Problem.validation([{ field: 'volumeAttachment.volumeId', message: 'required' }]);
    await this.servers.get(principal, id);
    await this.service().attach(principal, id, volumeId);
    const attached = (await this.servers.get(principal, id)).volumes.find((v) => v.id === volumeId);
    return { volumeAttachment: attachmentView(id, attached ?? { id: volumeId, device: null }) };
  }

  @Delete(':volumeId')
  @HttpCode(202)
  async detach(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('volumeId') volumeId: string) {
    await this.servers.get(principal, id);
    await this.service().detach(principal, id, volumeId);
  }

  private service(): InstanceVolumes {
    if (!this.volumes) {
      const detail = 'attaching a volume to a running server is not available in this build';
      throw new Problem(HttpStatus.NOT_IMPLEMENTED, 'urn:nimbus:problem:not-implemented', 'Not implemented', detail);
    }
    return this.volumes;
  }
}
