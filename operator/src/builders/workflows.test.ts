import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ArgoTemplate, WorkflowTemplate } from '../types/children.js';
import { DEFAULT_POLICY_FILE, POLICY_FILE } from './common.js';
import { withDefaults } from './defaults.js';
import { buildPolicyPreviewWorkflow, buildWorkflowTemplate } from './workflows.js';

const owner = {
  apiVersion: 'inquiries.mlops.io/v1alpha1',
  kind: 'InquiryPipeline',
  metadata: { name: 'desk', namespace: 'team-a', uid: '0b5e5a4e-0000-4000-8000-000000000002' },
};
const spec = withDefaults({
  databaseSecretRef: { name: 'db' },
  mlflow: { trackingUri: 'http://mlflow:5000' },
});
const withPolicy = { ...spec, routingPolicyRef: { name: 'desk-policy' } };

const template = (workflow: WorkflowTemplate, name: string): ArgoTemplate =>
  workflow.spec.templates!.find((t) => t.name === name)!;

/**
 * Runs a script template's source under sh as Argo would, with /work in a scratch folder and
 * an `inquiry-pipeline` on PATH that records its calls and exits with the status given for its
 * subcommand: the branching of the script is what is tested, not the steps.
 */
async function runScript(
  source: string,
  exits: Record<string, number>,
): Promise<{ status: number; calls: string[]; work: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'argo-script-'));
  const cli = path.join(dir, 'inquiry-pipeline');
  await writeFile(
    cli,
    [
      '#!/bin/sh',
      `echo "$*" >> ${dir}/calls`,
      ...Object.entries(exits).map(([step, code]) => `[ "$1" = ${step} ] && exit ${code}`),
      'exit 0',
    ].join('\n'),
  );
  await chmod(cli, 0o755);
  await writeFile(path.join(dir, 'calls'), '');
  const script = source.replaceAll('/work/', `${dir}/`);
  let status = 0;
  try {
    await promisify(execFile)('sh', ['-c', script], {
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
    });
  } catch (error) {
    status = (error as { code: number }).code;
  }
  const calls = (await readFile(path.join(dir, 'calls'), 'utf8')).split('\n').filter(Boolean);
  return { status, calls, work: dir };
}

describe('Workflow templates', () => {
  const workDirs: string[] = [];
  afterAll(async () => {
    for (const dir of workDirs) await rm(dir, { recursive: true, force: true });
  });

  it('give every step a writable /tmp on the read-only root filesystem', () => {
    const workflows = [
      ...(['ingest', 'classify', 'retrain'] as const).map((job) =>
        buildWorkflowTemplate(owner, spec, job),
      ),
      buildPolicyPreviewWorkflow(
        { ...owner, kind: 'RoutingPolicy', generation: 1, yaml: 'defaultDepartment: x\n' },
        { name: 'desk', spec },
      ),
    ];
    for (const workflow of workflows) {
      expect(workflow.spec.volumes).toContainEqual({ name: 'tmp', emptyDir: {} });
      const steps = workflow.spec.templates!.filter((t) => t.container ?? t.script);
      expect(steps.length).toBeGreaterThan(0);
      for (const step of steps) {
        const container = (step.container ?? step.script)!;
        expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
        expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      }
    }
  });

  it("run as the pipeline's own Workflow ServiceAccount", () => {
    expect(buildWorkflowTemplate(owner, spec, 'ingest').spec.serviceAccountName).toBe(
      'desk-workflows',
    );
  });

  it("classify with the RoutingPolicy's file, or the image's default without one", () => {
    const shardArgs = (s: typeof spec) =>
      template(buildWorkflowTemplate(owner, s, 'classify'), 'classify-shard').container!.args!;
    const policyArg = (args: string[]) => args[args.indexOf('--policy') + 1];
    expect(policyArg(shardArgs(withPolicy))).toBe(POLICY_FILE);
    expect(policyArg(shardArgs(spec))).toBe(DEFAULT_POLICY_FILE);
    const classify = buildWorkflowTemplate(owner, spec, 'classify');
    expect(classify.spec.volumes!.map((v) => v.name)).not.toContain('policy');
    expect(
      buildWorkflowTemplate(owner, withPolicy, 'classify').spec.volumes!.find(
        (v) => v.name === 'policy',
      )?.configMap?.name,
    ).toBe('desk-policy-routing');
  });

  it('log online accuracy to MLflow after every classification run', () => {
    const classify = buildWorkflowTemplate(owner, spec, 'classify');
    const entry = template(classify, classify.spec.entrypoint!);
    expect(entry.steps!.map((group) => group.map((step) => step.template))).toEqual([
      ['classify-shard'],
      ['evaluate-online'],
    ]);
    expect(template(classify, 'evaluate-online').container!.args).toEqual([
      'evaluate-online',
      '--pipeline',
      'desk',
    ]);
  });

  describe('retraining', () => {
    const retrain = buildWorkflowTemplate(owner, spec, 'retrain');
    const decide = template(retrain, 'should-retrain');
    const train = template(retrain, 'train-evaluate-register');

    it('skips training only when should-retrain says "not needed" (exit 3)', async () => {
      const steps = template(retrain, 'retrain').steps!.flat();
      expect(steps.some((step) => step.continueOn)).toBe(false);
      const decisionFile = decide.outputs!.parameters![0]!.valueFrom!.path!;
      const trainStep = steps.find((step) => step.template === 'train-evaluate-register')!;
      expect(trainStep.when).toBe(
        '{{steps.should-retrain.outputs.parameters.decision}} == retrain',
      );
      for (const [exit, expected] of [
        [0, { status: 0, decision: 'retrain' }],
        [3, { status: 0, decision: 'skip' }],
        [1, { status: 1, decision: undefined }],
        [2, { status: 2, decision: undefined }],
      ] as const) {
        const run = await runScript(decide.script!.source!, { 'should-retrain': exit });
        workDirs.push(run.work);
        const decision = await readFile(decisionFile.replace('/work/', `${run.work}/`), 'utf8')
          .then((text) => text.trim())
          .catch(() => undefined);
        expect({ exit, status: run.status, decision }).toEqual({ exit, ...expected });
        expect(run.calls[0]).toMatch(/^should-retrain --model-name desk-classifier /);
      }
    });

    it('registers only a model better than the champion', async () => {
      const runs = await Promise.all(
        [0, 3, 1].map((evaluate) => runScript(train.script!.source!, { evaluate })),
      );
      workDirs.push(...runs.map((run) => run.work));
      const [better, worse, broken] = runs.map((run) => ({
        status: run.status,
        steps: run.calls.map((call) => call.split(' ')[0]),
        evaluate: run.calls.find((call) => call.startsWith('evaluate ')),
      }));
      expect(better).toMatchObject({ status: 0, steps: ['train', 'evaluate', 'register'] });
      expect(better!.evaluate).toContain('--champion-model desk-classifier --require-better');
      expect(worse).toMatchObject({ status: 0, steps: ['train', 'evaluate'] });
      expect(broken).toMatchObject({ status: 1, steps: ['train', 'evaluate'] });
    });
  });
});
