// `spinexr start` (npm start): the whole cluster on this machine.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('start')
    .description('run the whole cluster on this machine: NATS (found at NATS_URL or started), replicas per stage, and the gateway')
    .action(async () => {
      const { loadSettings } = await import('../../common/settings.ts');
      const { startCluster } = await import('../../launcher/cluster.ts');
      let settings;
      try {
        settings = loadSettings();
      } catch (err) {
        console.error((err as Error).message);
        process.exit(2);
      }
      const replicas = { preprocess: settings.PREPROCESS_REPLICAS, classifier: settings.CLASSIFIER_REPLICAS, detector: settings.DETECTOR_REPLICAS };
      console.log(`starting SpineXR: ${replicas.preprocess} preprocess, ${replicas.classifier} classifier, ${replicas.detector} detector replica(s) ...`);
      let cluster;
      try {
        cluster = await startCluster({ natsUrl: settings.NATS_URL, dataDir: '.data', gatewayAddress: settings.GATEWAY_ADDRESS, replicas });
      } catch (err) {
        console.error(`spinexr start: ${(err as Error).message}`);
        process.exit(1);
      }
      console.log(
        [
          '',
          `SpineXR is ready.`,
          `  gRPC gateway  ${cluster.gatewayAddress}   (try: npx spinexr analyze <image.dcm|png|jpg>)`,
          `  NATS          ${cluster.natsUrl}${cluster.nats ? '   (started here, data in .data/nats)' : '   (existing server)'}`,
          `  model repo    ${settings.MODEL_REPOSITORY}`,
          `Ctrl-C stops everything.`,
          '',
        ].join('\n'),
      );
      let stopping = false;
      const shutdown = async () => {
        if (stopping) return;
        stopping = true;
        console.log('\nstopping ...');
        await cluster.stop();
        console.log('stopped.');
        process.exit(0);
      };
      process.on('SIGINT', shutdown);
      process.on('SIGTERM', shutdown);
    });
}
