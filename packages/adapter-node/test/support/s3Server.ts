import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import S3rver from 's3rver';

// The SDK warns on Node 20 that its releases of 2027 will need Node 22: not a failure of these tests.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** The bucket every object goes in. */
export const BUCKET = 'rdl-test';
/** The credentials s3rver accepts (its defaults); the SDK signs with them. */
export const ACCESS_KEY = 'S3RVER';
const SECRET_KEY = 'S3RVER';

/**
 * A real S3-compatible server (s3rver, from npm) on 127.0.0.1, its objects in a temporary folder, and the AWS SDK's
 * presigner for its URLs. s3rver answers HEAD, Range (206 with Content-Range), If-Range and a strong ETag (the MD5
 * of the object), and refuses an expired presigned URL with 403 `Request has expired`; it does not check the
 * signature itself, so the tests that need a signature revoked put `S3Front` in front of it.
 */
export class S3Server {
  private constructor(
    private readonly server: S3rver,
    private readonly folder: string,
    readonly endpoint: string,
    private readonly client: S3Client,
  ) {}

  static async start(): Promise<S3Server> {
    const folder = await mkdtemp(join(tmpdir(), 'rdl-s3rver-'));
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: folder });
    // Its winston logger, built with a silent console, still warns of "no transports" at every request.
    server.logger.silent = true;
    const { port } = (await server.run()) as { port: number };
    const endpoint = `http://127.0.0.1:${port}`;
    const client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    return new S3Server(server, folder, endpoint, client);
  }

  /** Stores `body` under `key`. */
  async put(key: string, body: Buffer): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  }

  /** Stores `size` random bytes under `key` and returns them. */
  async putRandom(key: string, size: number): Promise<Buffer> {
    const body = randomBytes(size);
    await this.put(key, body);
    return body;
  }

  /**
   * A GET (or HEAD) URL of `key` presigned by the AWS SDK (SigV4 in the query), valid `expiresIn` seconds from
   * `signedAt` (default now); `origin` replaces the server's (a front in between).
   */
  async sign(
    key: string,
    options: { expiresIn: number; method?: 'GET' | 'HEAD'; signedAt?: Date; origin?: string },
  ): Promise<string> {
    const command =
      options.method === 'HEAD'
        ? new HeadObjectCommand({ Bucket: BUCKET, Key: key })
        : new GetObjectCommand({ Bucket: BUCKET, Key: key });
    const url = await getSignedUrl(this.client, command, {
      expiresIn: options.expiresIn,
      ...(options.signedAt === undefined ? {} : { signingDate: options.signedAt }),
    });
    return options.origin === undefined ? url : url.replace(this.endpoint, options.origin);
  }

  async close(): Promise<void> {
    this.client.destroy();
    await this.server.close();
    await rm(this.folder, { recursive: true, force: true });
  }
}

/** The `X-Amz-Signature` of a presigned URL. */
export const signatureOf = (url: string): string => new URL(url).searchParams.get('X-Amz-Signature') ?? '';
/** The access key in the `X-Amz-Credential` of a presigned URL (`S3RVER/20260101/us-east-1/s3/aws4_request`). */
export const credentialOf = (url: string): string => new URL(url).searchParams.get('X-Amz-Credential') ?? '';
