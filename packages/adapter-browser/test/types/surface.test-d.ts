import type { createDownload as nodeCreateDownload, download as nodeDownload } from '@rdl/adapter-node';
import type {
  createDownload as coreCreateDownload,
  Download,
  DownloadOptions,
  DownloadPorts,
} from '@rdl/core';
import { describe, expectTypeOf, it } from 'vitest';
import type {
  createDownload as browserCreateDownload,
  download as browserDownload,
} from '../../src/index.js';

describe('the createDownload surface', () => {
  it('is the same in the browser adapter and the Node adapter', () => {
    expectTypeOf<typeof browserCreateDownload>().toEqualTypeOf<typeof nodeCreateDownload>();
    expectTypeOf<typeof browserDownload>().toEqualTypeOf<typeof nodeDownload>();
  });

  it('takes core options and port overrides, and returns core’s Download', () => {
    expectTypeOf<typeof browserCreateDownload>().parameters.toEqualTypeOf<
      [options: DownloadOptions, overrides?: Partial<DownloadPorts>]
    >();
    expectTypeOf<typeof browserCreateDownload>().returns.toEqualTypeOf<Download>();
    expectTypeOf<ReturnType<typeof browserCreateDownload>>().toEqualTypeOf<
      ReturnType<typeof coreCreateDownload>
    >();
    expectTypeOf<Parameters<typeof browserCreateDownload>[0]>().toEqualTypeOf<
      Parameters<typeof coreCreateDownload>[0]
    >();
  });
});
