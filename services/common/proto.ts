// Loads the spinexr.v1 protos once, for the gateway's server and for clients (CLI, tests, bench).
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_ROOT = new URL('../../proto', import.meta.url).pathname;
export const PROTO_FILES = ['spinexr/v1/analysis.proto', 'spinexr/v1/preprocessing.proto', 'spinexr/v1/classification.proto', 'spinexr/v1/detection.proto'];

/** Field names in JS are camelCase (`abnormalProbability`); int64 as Number. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

let cached: { definition: protoLoader.PackageDefinition; pkg: SpinexrPackage } | undefined;

export interface SpinexrPackage {
  Analysis: grpc.ServiceClientConstructor;
  Preprocessing: grpc.ServiceClientConstructor;
  Classification: grpc.ServiceClientConstructor;
  Detection: grpc.ServiceClientConstructor;
}

/** @example const { pkg } = loadProtos(); new pkg.Analysis('127.0.0.1:50051', grpc.credentials.createInsecure()) */
export function loadProtos(): { definition: protoLoader.PackageDefinition; pkg: SpinexrPackage } {
  if (!cached) {
    const definition = protoLoader.loadSync(PROTO_FILES, LOADER_OPTIONS);
    const root = grpc.loadPackageDefinition(definition) as unknown as { spinexr: { v1: SpinexrPackage } };
    cached = { definition, pkg: root.spinexr.v1 };
  }
  return cached;
}
