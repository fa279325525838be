/**
 * The `wrt` commands that act on a running cluster through its REST API (api-client.ts,
 * docs/rest-api.md): `status [JOB]`, `list`, `logs JOB`, `cancel JOB`, `savepoint JOB [DIR]`,
 * `stop JOB [DIR]`; `dashboard` (a link to `/ui` with a token) and `token` (credentials of the
 * cluster's secret). Exit codes: exit.ts.
 */
import process from 'node:process';
import type { Command } from 'commander';
import { WrtError } from '../errors.js';
import { fail } from './exit.js';
import { ApiClient } from './api-client.js';
import {
  formatCluster,
  formatExceptions,
  formatJob,
  formatJobs,
  readCa,
  type JobListItem,
  type NodeItem,
  type Overview,
} from './status.js';
import { headPath } from './submit.js';
import type { CheckpointsView, JobDetail } from '../head/job-views.js';
import type { JobException } from '../scheduler/cluster-job.js';
import type { Role } from '../protocol/messages.js';
import { defaultStateDir, resolveToken } from '../launch/node/cluster-token.js';
import { revokeVolunteer } from '../launch/node/revocations.js';
import { deriveToken, parseCredential } from '../protocol/credentials.js';

interface HeadOptions {
  address: string;
  tokenFile?: string;
  caFile?: string;
}

/** The options every cluster command takes: the head, a credential, and CAs for https. */
function headOptions(cmd: Command, credential: string): Command {
  return cmd
    .option('--address <url>', 'the head (http(s):// or ws(s):// HOST:PORT)', 'http://127.0.0.1:8265')
    .option('--token-file <file>', `${credential} (default: $WRT_TOKEN, else a loopback head's token file)`)
    .option('--ca-file <file>', 'PEM certificates to trust for an https:// head');
}

async function client(o: HeadOptions): Promise<ApiClient> {
  return new ApiClient(o.address, await resolveToken(o.address, o.tokenFile), await readCa(o.caFile));
}

const jobPath = (job: string): string => `/v1/jobs/${encodeURIComponent(job)}`;

/** Runs `body` and exits 0, or prints its error and exits as exit.ts says. */
function run<A extends unknown[]>(body: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await body(...args);
      process.exit(0);
    } catch (err) {
      fail(err);
    }
  };
}

/** Adds the cluster commands to `program`. */
export function addClusterCommands(program: Command): void {
  headOptions(
    program
      .command('status')
      .description('show a running cluster (nodes and jobs), or one job (its vertices, rates, back-pressure, watermarks, checkpoints)')
      .argument('[job]', 'a job id (wrt list shows them)'),
    'a credential (any role but volunteer)',
  )
    .option('--json', "print the API's JSON instead of tables")
    .action(
      run(async (job: string | undefined, o: HeadOptions & { json?: boolean }) => {
        const api = await client(o);
        if (job) {
          const [detail, checkpoints] = await Promise.all([
            api.get<JobDetail>(jobPath(job)),
            api.get<CheckpointsView>(`${jobPath(job)}/checkpoints`),
          ]);
          const c = detail.kind === 'stream' ? checkpoints : null;
          process.stdout.write(o.json ? JSON.stringify({ ...detail, checkpoints: c }) + '\n' : formatJob(detail, c));
          return;
        }
        const [overview, nodes, jobs] = await Promise.all([
          api.get<Overview>('/v1/overview'),
          api.all<NodeItem>('/v1/nodes'),
          api.all<JobListItem>('/v1/jobs'),
        ]);
        process.stdout.write(o.json ? JSON.stringify({ overview, nodes, jobs }) + '\n' : formatCluster(overview, nodes, jobs));
      }),
    );

  headOptions(
    program.command('list').description('list the jobs of a running cluster: id, state, duration, records/s, subtasks done, name'),
    'a credential (any role but volunteer)',
  )
    .option('--state <state>', 'only jobs in this state (Running, Finished, Failed, Cancelled, Stopped)')
    .option('--json', 'print the jobs as a JSON array')
    .action(
      run(async (o: HeadOptions & { json?: boolean; state?: string }) => {
        const jobs = await (await client(o)).all<JobListItem>(`/v1/jobs${o.state ? `?state=${encodeURIComponent(o.state)}` : ''}`);
        process.stdout.write(o.json ? JSON.stringify(jobs) + '\n' : formatJobs(jobs));
      }),
    );

  headOptions(
    program
      .command('logs')
      .description("print a job's failures: the errors of its subtasks and what came of each (retried, restarted, failed)")
      .argument('<job>', 'the job id'),
    'a credential (any role but volunteer)',
  )
    .option('--json', 'print them as a JSON array, newest first')
    .action(
      run(async (job: string, o: HeadOptions & { json?: boolean }) => {
        const api = await client(o);
        const detail = await api.get<JobDetail>(jobPath(job));
        const exceptions = await api.all<JobException>(`${jobPath(job)}/exceptions`);
        if (o.json) process.stdout.write(JSON.stringify(exceptions) + '\n');
        else
          process.stdout.write(
            `${detail.id} "${detail.name}": ${detail.state}${detail.message ? ` (${detail.message})` : ''}\n` +
              formatExceptions(job, exceptions),
          );
      }),
    );

  const control = (name: string, description: string, action: 'cancel' | 'savepoint' | 'stop'): void => {
    const cmd = program
      .command(name)
      .description(description)
      .argument('<job>', 'the job id (wrt submit prints it; wrt list lists the jobs)');
    if (action !== 'cancel')
      cmd.argument('[dir]', "where the savepoint goes, on the head's file system (default: the head's --savepoint-dir)");
    headOptions(cmd, "the job's driver token or the cluster secret").action(
      run(async (job: string, ...rest: unknown[]) => {
        const dir = action === 'cancel' ? '' : ((rest[0] as string | undefined) ?? '');
        const o = rest[action === 'cancel' ? 0 : 1] as HeadOptions;
        const api = await client(o);
        if (action === 'cancel') {
          await api.post(`${jobPath(job)}/cancel`);
          process.stderr.write(`wrt: job ${job} cancelled\n`);
          return;
        }
        const path = await api.savepoint(job, headPath(dir), action === 'stop');
        process.stdout.write(path + '\n');
        process.stderr.write(`wrt: ${action === 'stop' ? `job ${job} stopped; ` : ''}savepoint of ${job} at ${path}\n`);
      }),
    );
  };
  control('savepoint', 'take a savepoint of a running stream job (it goes on running); prints its path', 'savepoint');
  control('stop', 'take a savepoint of a running stream job and end it, its output committed up to the savepoint; prints the path', 'stop');
  control('cancel', 'cancel a running job (its uncommitted output and its checkpoints are dropped)', 'cancel');

  headOptions(
    program
      .command('dashboard')
      .description(
        'print a link that opens the dashboard of a running cluster with a viewer token (--admin: one that can also cancel and take savepoints)',
      ),
    'the cluster secret',
  )
    .option('--admin', 'put the cluster secret in the link instead of a viewer token (the page can then cancel, stop and take savepoints)')
    .action(
      run(async (o: HeadOptions & { admin?: boolean }) => {
        const secret = await resolveToken(o.address, o.tokenFile);
        if (parseCredential(secret).kind !== 'admin')
          throw new WrtError('WRT_FORBIDDEN', 'only the cluster secret can make a dashboard link');
        const token = o.admin ? secret : await deriveToken(secret, 'viewer', 'dashboard');
        const base = new URL('/ui', o.address.replace(/^ws/, 'http'));
        process.stdout.write(`${base.href}#token=${token}\n`);
      }),
    );

  program
    .command('token')
    .description('make a token that grants one role to one subject (driver, volunteer or viewer), or revoke a volunteer link')
    .option('--role <role>', 'driver, volunteer or viewer', 'driver')
    .option('--subject <name>', 'who the token is for: a driver name or volunteer link id ([A-Za-z0-9_-], at most 64)')
    .option('--revoke <subject>', 'revoke volunteer link SUBJECT on the heads that use --state-dir (at their next handshake)')
    .option('--address <url>', 'the head whose secret signs the token (its loopback token file)', 'ws://127.0.0.1:8265')
    .option('--token-file <file>', "the cluster secret (default: $WRT_TOKEN, else the loopback head's token file)")
    .option('--state-dir <dir>', "--revoke: the heads' state directory (default: $WRT_STATE_DIR or ~/.wrt)")
    .action(
      run(async (o: { role: string; subject?: string; revoke?: string; address: string; tokenFile?: string; stateDir?: string }) => {
        if (o.revoke) {
          revokeVolunteer(o.stateDir ?? defaultStateDir(), o.revoke);
          process.stderr.write(`wrt: volunteer link ${o.revoke} revoked\n`);
          return;
        }
        if (!o.subject) throw new WrtError('WRT_INVALID_ARGUMENT', 'give --subject NAME (or --revoke SUBJECT)');
        const secret = await resolveToken(o.address, o.tokenFile);
        if (parseCredential(secret).kind !== 'admin') throw new WrtError('WRT_FORBIDDEN', 'only the cluster secret can make tokens');
        process.stdout.write((await deriveToken(secret, o.role as Role, o.subject)) + '\n');
      }),
    );
}
