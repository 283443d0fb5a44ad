/** The part of s3rver (npm, no types of its own) the S3 tests use. */
declare module 's3rver' {
  interface S3rverOptions {
    readonly address?: string;
    readonly port?: number;
    readonly silent?: boolean;
    readonly directory?: string;
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    /** Its winston logger: `silent` quiets it. */
    readonly logger: { silent: boolean };
    /** Listens; resolves the address it listens on. */
    run(): Promise<{ readonly address: string; readonly port: number }>;
    close(): Promise<void>;
  }
}
