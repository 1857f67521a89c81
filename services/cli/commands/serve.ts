// `spinexr serve <role>`: one role of the cluster in this process, for real deployments.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('serve')
    .description('run one service: gateway | preprocess | classifier | detector (settings from env vars, see README)')
    .argument('<role>', 'gateway, preprocess, classifier or detector')
    .action(async (role: string) => {
      const { ROLES, serveRole } = await import('../../launcher/serve-role.ts');
      if (!(ROLES as readonly string[]).includes(role)) {
        console.error(`unknown role "${role}": use one of ${ROLES.join(', ')}`);
        process.exit(2);
      }
      let running: { stop: () => Promise<void> };
      try {
        running = await serveRole(role as (typeof ROLES)[number]);
      } catch (err) {
        console.error(`spinexr serve ${role}: ${(err as Error).message}`);
        process.exit(1);
      }
      const shutdown = async () => {
        await running.stop().catch(() => undefined);
        process.exit(0);
      };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    });
}
