import { Body, Controller, Delete, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { CurrentPrincipal, type Principal } from '../common/auth.js';
import { uuidParam } from '../common/params.js';
import { InstanceVolumesService } from './instance-volumes.service.js';
import { ApiProblems, ApiUuidParam, UUID_PATTERN } from '../common/api-problems.js';

/** `POST /v1/instances/{id}/volumes`: the volume to attach to the running instance. */
export class AttachVolumeDto {
  @ApiProperty({ pattern: UUID_PATTERN }) @IsUUID() volumeId: string;
}

@ApiTags('instances')
@ApiBearerAuth()
@ApiUuidParam()
@ApiProblems(404, 409, 503)
@Controller('v1/instances/:id/volumes')
export class InstanceVolumesController {
  constructor(private readonly volumes: InstanceVolumesService) {}

  /** Attaches an available volume to an ACTIVE instance: 202, the AttachVolume workflow finishes it. */
  @Post()
  @HttpCode(202)
  attach(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam) id: string, @Body() body: AttachVolumeDto) {
    return this.volumes.attach(principal, id, body.volumeId);
  }

  /** Detaches a volume from an ACTIVE instance: 202, the DetachVolume workflow finishes it. */
  @Delete(':volumeId')
  @HttpCode(202)
  @ApiUuidParam('volumeId')
  detach(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam) id: string,
    @Param('volumeId', uuidParam) volumeId: string,
  ) {
    return this.volumes.detach(principal, id, volumeId);
  }
}
