// Where the files of a DynamoDB export are: an S3 prefix
// (s3://bucket/prefix/AWSDynamoDB/<export-id>/, through the AWS SDK's standard
// credential chain) or a local directory holding the same files. Paths are
// relative to the export's folder: manifest-summary.json, data/<name>.json.gz.

import { createReadStream } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { GetObjectCommand, HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { SourceError } from "../errors.ts";

export interface ExportStore {
  /** How messages name the export's folder. */
  readonly where: string;
  readText(path: string): Promise<string>;
  open(path: string): Promise<Readable>;
  exists(path: string): Promise<boolean>;
}

export class LocalExportStore implements ExportStore {
  constructor(readonly where: string) {}

  async readText(path: string): Promise<string> {
    try {
      return await readFile(join(this.where, path), "utf8");
    } catch (error) {
      throw missing(this.where, path, error);
    }
  }

  async open(path: string): Promise<Readable> {
    const file = join(this.where, path);
    const stream = createReadStream(file);
    // Surfaces a missing file here, not as a stream error in the middle of the load.
    await new Promise<void>((resolve, reject) => {
      stream.once("open", () => resolve());
      stream.once("error", (error) => reject(missing(this.where, path, error)));
    });
    return stream;
  }

  async exists(path: string): Promise<boolean> {
    return access(join(this.where, path)).then(
      () => true,
      () => false,
    );
  }
}

export class S3ExportStore implements ExportStore {
  readonly where: string;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    /** The export folder's key prefix, ending in "/" (or empty). */
    private readonly prefix: string,
  ) {
    this.where = `s3://${bucket}/${prefix}`;
  }

  async readText(path: string): Promise<string> {
    return (await this.get(path)).transformToString("utf8");
  }

  async open(path: string): Promise<Readable> {
    return (await this.get(path)) as unknown as Readable;
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + path }),
      );
      return true;
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
        return false;
      throw error;
    }
  }

  private async get(path: string) {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + path }),
      );
      if (!out.Body) throw new SourceError(`${this.where}${path}: S3 answered without a body`);
      return out.Body as NonNullable<typeof out.Body> & Readable;
    } catch (error) {
      if ((error as { name?: string }).name === "NoSuchKey") throw missing(this.where, path, error);
      throw error;
    }
  }
}

function missing(where: string, path: string, cause: unknown): SourceError | unknown {
  const code =
    (cause as { code?: string; name?: string }).code ?? (cause as { name?: string }).name;
  if (code !== "ENOENT" && code !== "NoSuchKey") return cause;
  return new SourceError(
    `${path} is missing from the export at ${where}: give the folder that holds manifest-summary.json, manifest-files.json and data/`,
    { cause },
  );
}

/** Parses s3://bucket/prefix/AWSDynamoDB/<export-id>/ into a bucket and a key prefix ending in "/". */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match) throw new SourceError(`not an S3 URL: ${url}`);
  const prefix = match[2] as string;
  return {
    bucket: match[1] as string,
    prefix: prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`,
  };
}
