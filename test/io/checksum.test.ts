import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeRunCheckpoint, encodeRunCheckpoint } from '../../src/io/run-checkpoint.js';
import { crc32 } from '../../src/util/crc32.js';
import { localpropErrorOf } from '../support.js';

describe('run checkpoints carry a checksum', () => {
  it("is CRC-32's check value on its standard input", () => {
    // The check value of CRC-32/ISO-HDLC, as zip and PNG use it.
    expect(crc32([new TextEncoder().encode('123456789')])).toBe('cbf43926');
    expect(crc32([new TextEncoder().encode('1234'), new TextEncoder().encode('56789')])).toBe('cbf43926');
    expect(crc32([])).toBe('00000000');
  });

  it('refuses a checkpoint whose tensor bytes changed after it was written, and reads one from before checksums', () => {
    // A checkpoint the code before checksums wrote (version 1): read as it is.
    const old = readFileSync(new URL('../fixtures/epoch-v1/epoch-mode-at-3.checkpoint.safetensors', import.meta.url));
    const checkpoint = decodeRunCheckpoint(new Uint8Array(old), 'the old file');
    const bytes = encodeRunCheckpoint(checkpoint);
    expect(decodeRunCheckpoint(bytes, 'the new file').parameters).toEqual(checkpoint.parameters);
    // One bit of the last tensor's last byte.
    bytes[bytes.length - 1] ^= 0x01;
    expect(localpropErrorOf(() => decodeRunCheckpoint(bytes, 'the file'))).toBe('the file: its checksum does not match its contents; the file is damaged, so resume from an earlier copy or start again');
  });
});
