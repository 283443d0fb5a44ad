// The refresh command of the S3 tests: signs a new GET URL of an object with the AWS SDK, as `aws s3 presign`
// does, and prints it (and, with --head, a HEAD URL on a second line). Each call appends a line to <log>.
// node presign.mjs <endpoint> <origin> <bucket> <key> <expiresIn> <log> [--head]
import { appendFileSync } from 'node:fs';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const [endpoint, origin, bucket, key, expiresIn, log, head] = process.argv.slice(2);
const client = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
});
const sign = async (command) =>
  (await getSignedUrl(client, command, { expiresIn: Number(expiresIn) })).replace(endpoint, origin);
const url = await sign(new GetObjectCommand({ Bucket: bucket, Key: key }));
appendFileSync(log, `${url}\n`);
process.stdout.write(`${url}\n`);
if (head === '--head')
  process.stdout.write(`${await sign(new HeadObjectCommand({ Bucket: bucket, Key: key }))}\n`);
