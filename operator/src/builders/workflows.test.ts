import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { STEP_TEMPLATES } from '../names.js';
import type { ArgoTemplate } from '../types/children.js';
import { DEFAULT_POLICY_FILE, POLICY_FILE } from './common.js';
import { withDefaults } from './defaults.js';
import { buildStepTemplates, renderStepTemplates, STEP_TEMPLATES_FILE } from './step-templates.js';
import { buildCronWorkflow, buildPolicyPreviewWorkflow, type Job } from './workflows.js';

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

const withCredentials = withDefaults({
  ...spec,
  mlflow: { ...spec.mlflow, credentialsSecretRef: { name: 'mlflow-keys' } },
});

const shared = buildStepTemplates();
const sharedTemplate = (name: string): ArgoTemplate => {
  const found = shared.spec.templates!.find((t) => t.name === name);
  if (!found) throw new Error(`no shared template ${name}`);
  return found;
};
const workflowOf = (s: typeof spec, job: Job) => buildCronWorkflow(owner, s, job).spec.workflowSpec;

type Parameters = Record<string, string>;
const substitute = (text: string, inputs: Parameters): string =>
  text.replace(/\{\{inputs\.parameters\.([\w-]+)\}\}/g, (whole, name: string) => {
    if (!(name in inputs)) throw new Error(`${whole} has no value`);
    return inputs[name]!;
  });

/**
 * The leaf template a job reaches, with the inputs it receives, resolved as Argo's controller
 * does: the CronWorkflow's templateRef call with the pipeline's arguments, then the shared job
 * template's step `step` (its arguments substituted with the job's inputs).
 */
function resolve(s: typeof spec, job: 'classify' | 'retrain', step: string) {
  const call = workflowOf(s, job).templates![0]!.steps![0]![0]!;
  expect(call.templateRef).toMatchObject({ name: STEP_TEMPLATES, clusterScope: true });
  const jobTemplate = sharedTemplate(call.templateRef!.template!);
  const jobInputs = Object.fromEntries(
    call.arguments!.parameters!.map((p) => [p.name, String(p.value)]),
  );
  const inner = jobTemplate.steps!.flat().find((candidate) => candidate.name === step)!;
  const inputs: Parameters = Object.fromEntries(
    inner.arguments!.parameters!.map((p) => [p.name, substitute(String(p.value), jobInputs)]),
  );
  return { template: sharedTemplate(inner.template!), inputs, jobTemplate, jobInputs };
}

/** A step's environment with its parameters resolved (Secret references kept as `secret/key`). */
function envOf(template: ArgoTemplate, inputs: Parameters): Parameters {
  const container = (template.container ?? template.script)!;
  return Object.fromEntries(
    container.env!.map((v) => [
      v.name,
      v.valueFrom?.secretKeyRef
        ? `${substitute(v.valueFrom.secretKeyRef.name!, inputs)}/${substitute(v.valueFrom.secretKeyRef.key, inputs)}`
        : substitute(v.value!, inputs),
    ]),
  );
}

/**
 * Runs a script template's source under sh as Argo would, with /work in a scratch folder and
 * an `inquiry-pipeline` on PATH that records its calls and exits with the status given for its
 * subcommand: the branching of the script is what is tested, not the steps.
 */
async function runScript(
  source: string,
  exits: Record<string, number>,
  env: Parameters = {},
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
      env: { ...process.env, ...env, PATH: `${dir}:${process.env.PATH}` },
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
      ...(['ingest', 'classify', 'retrain'] as const).map((job) => workflowOf(spec, job)),
      buildPolicyPreviewWorkflow(
        { ...owner, kind: 'RoutingPolicy', generation: 1, yaml: 'defaultDepartment: x\n' },
        { name: 'desk', spec },
      ).spec,
    ];
    for (const workflow of workflows)
      expect(workflow.volumes).toContainEqual({ name: 'tmp', emptyDir: {} });
    const steps = [...workflows, shared.spec]
      .flatMap((workflow) => workflow.templates!)
      .filter((t) => t.container ?? t.script);
    // ingest, the preview, and four shared steps in two variants.
    expect(steps).toHaveLength(10);
    for (const step of steps) {
      const container = (step.container ?? step.script)!;
      expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
      expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    }
  });

  it("run as the namespace's Workflow ServiceAccount", () => {
    for (const job of ['ingest', 'classify', 'retrain'] as const)
      expect(workflowOf(spec, job).serviceAccountName).toBe('inquiry-workflows');
  });

  it('call each shared template with exactly the parameters it declares, in both variants', () => {
    for (const s of [spec, withCredentials]) {
      for (const job of ['classify', 'retrain'] as const) {
        const { jobTemplate, jobInputs } = resolve(
          s,
          job,
          job === 'classify' ? 'shard' : 'should-retrain',
        );
        const declared = jobTemplate.inputs!.parameters!.map((p) => p.name).sort();
        expect(Object.keys(jobInputs).sort()).toEqual(declared);
        // Every value is given; only `rollout` may be empty (the ModelVersion CRD's default).
        expect(
          Object.entries(jobInputs).filter(([name, value]) => value === '' && name !== 'rollout'),
        ).toEqual([]);
        // Every step inside passes what its own template declares, from the job's inputs.
        for (const step of jobTemplate.steps!.flat()) {
          const inner = sharedTemplate(step.template!);
          expect(step.arguments!.parameters!.map((p) => p.name).sort()).toEqual(
            inner.inputs!.parameters!.map((p) => p.name).sort(),
          );
          for (const p of step.arguments!.parameters!)
            if (p.name !== 'shard') substitute(String(p.value), jobInputs);
        }
      }
    }
  });

  it("run the pipeline's image with its database Secret and MLflow server", () => {
    const { template, inputs } = resolve(
      { ...spec, image: 'registry.example/platform:2.0.0' },
      'classify',
      'evaluate-online',
    );
    expect(substitute(template.container!.image!, inputs)).toBe('registry.example/platform:2.0.0');
    expect(envOf(template, inputs)).toEqual({
      DATABASE_URL: 'db/url',
      MLFLOW_TRACKING_URI: 'http://mlflow:5000',
      LOG_LEVEL: 'info',
    });
    expect(template.container!.args!.map((arg) => substitute(arg, inputs))).toEqual([
      'evaluate-online',
      '--pipeline',
      'desk',
    ]);
  });

  it('read MLflow credentials only when the pipeline names their Secret', () => {
    const { template, inputs } = resolve(withCredentials, 'retrain', 'train-evaluate-register');
    expect(template.name).toBe('train-evaluate-register-mlflow-auth');
    expect(envOf(template, inputs)).toMatchObject({
      MLFLOW_TRACKING_TOKEN: 'mlflow-keys/MLFLOW_TRACKING_TOKEN',
      MLFLOW_TRACKING_PASSWORD: 'mlflow-keys/MLFLOW_TRACKING_PASSWORD',
    });
    expect(
      template
        .script!.env!.filter(
          (v) => v.name !== 'MLFLOW_TRACKING_URI' && v.name.startsWith('MLFLOW_'),
        )
        .map((v) => v.valueFrom?.secretKeyRef?.optional),
    ).toEqual([true, true, true]);
    const ingest = workflowOf(withCredentials, 'ingest').templates![0]!.container!;
    expect(ingest.env!.map((v) => v.valueFrom?.secretKeyRef?.name)).toContain('mlflow-keys');
    const plain = resolve(spec, 'retrain', 'train-evaluate-register');
    expect(plain.template.name).toBe('train-evaluate-register');
    expect(Object.keys(envOf(plain.template, plain.inputs))).not.toContain('MLFLOW_TRACKING_TOKEN');
  });

  it("classify with the RoutingPolicy's file, or the image's default without one", () => {
    const shardArgs = (s: typeof spec) => {
      const { template, inputs } = resolve(s, 'classify', 'shard');
      return template.container!.args!.map((arg) =>
        substitute(arg, { ...inputs, shard: '{{item}}' }),
      );
    };
    const policyArg = (args: string[]) => args[args.indexOf('--policy') + 1];
    expect(policyArg(shardArgs(withPolicy))).toBe(POLICY_FILE);
    expect(policyArg(shardArgs(spec))).toBe(DEFAULT_POLICY_FILE);
    expect(workflowOf(spec, 'classify').volumes).toContainEqual({ name: 'policy', emptyDir: {} });
    expect(
      workflowOf(withPolicy, 'classify').volumes!.find((v) => v.name === 'policy')?.configMap?.name,
    ).toBe('desk-policy-routing');
    expect(sharedTemplate('classify-shard').container!.volumeMounts).toContainEqual({
      name: 'policy',
      mountPath: POLICY_FILE.slice(0, POLICY_FILE.lastIndexOf('/')),
      readOnly: true,
    });
  });

  it('fan classification out over the shards, then log online accuracy to MLflow', () => {
    const four = withDefaults({ ...spec, classification: { shards: 4 } });
    const { jobTemplate, jobInputs, template, inputs } = resolve(four, 'classify', 'shard');
    expect(jobTemplate.steps!.map((group) => group.map((step) => step.name))).toEqual([
      ['shard'],
      ['evaluate-online'],
    ]);
    expect(substitute(String(jobTemplate.steps![0]![0]!.withSequence!.count), jobInputs)).toBe('4');
    const args = template.container!.args!.map((arg) => substitute(arg, { ...inputs, shard: '2' }));
    expect(args.slice(args.indexOf('--shard'))).toEqual(['--shard', '2/4']);
  });

  it('are in the chart as generated (run `npm run generate:steps` when this fails)', async () => {
    const file = fileURLToPath(new URL(`../../../${STEP_TEMPLATES_FILE}`, import.meta.url));
    expect(await readFile(file, 'utf8')).toBe(renderStepTemplates());
  });

  describe('retraining', () => {
    const decide = resolve(spec, 'retrain', 'should-retrain');
    const train = resolve(spec, 'retrain', 'train-evaluate-register');
    const scriptEnv = ({ template, inputs }: typeof decide) =>
      Object.fromEntries(
        Object.entries(envOf(template, inputs)).filter(([name]) => name !== 'DATABASE_URL'),
      );

    it('skips training only when should-retrain says "not needed" (exit 3)', async () => {
      const steps = decide.jobTemplate.steps!.flat();
      expect(steps.some((step) => step.continueOn)).toBe(false);
      const decisionFile = decide.template.outputs!.parameters![0]!.valueFrom!.path!;
      const trainStep = steps.find((step) => step.name === 'train-evaluate-register')!;
      expect(trainStep.when).toBe(
        '{{steps.should-retrain.outputs.parameters.decision}} == retrain',
      );
      for (const [exit, expected] of [
        [0, { status: 0, decision: 'retrain' }],
        [3, { status: 0, decision: 'skip' }],
        [1, { status: 1, decision: undefined }],
        [2, { status: 2, decision: undefined }],
      ] as const) {
        const run = await runScript(
          decide.template.script!.source!,
          { 'should-retrain': exit },
          scriptEnv(decide),
        );
        workDirs.push(run.work);
        const decision = await readFile(decisionFile.replace('/work/', `${run.work}/`), 'utf8')
          .then((text) => text.trim())
          .catch(() => undefined);
        expect({ exit, status: run.status, decision }).toEqual({ exit, ...expected });
        expect(run.calls[0]).toBe(
          'should-retrain --model-name desk-classifier --min-new-labels 500 --drift-threshold 0.2 --min-online-accuracy 0.8',
        );
      }
    });

    it('registers only a model better than the champion', async () => {
      const runs = await Promise.all(
        [0, 3, 1].map((evaluate) =>
          runScript(train.template.script!.source!, { evaluate }, scriptEnv(train)),
        ),
      );
      workDirs.push(...runs.map((run) => run.work));
      const [better, worse, broken] = runs.map((run) => ({
        status: run.status,
        steps: run.calls.map((call) => call.split(' ')[0]),
        evaluate: run.calls.find((call) => call.startsWith('evaluate ')),
        register: run.calls.find((call) => call.startsWith('register ')),
      }));
      expect(better).toMatchObject({ status: 0, steps: ['train', 'evaluate', 'register'] });
      expect(better!.evaluate).toContain('--champion-model desk-classifier --require-better');
      expect(better!.register).toContain(
        '--pipeline desk --model-name desk-classifier --namespace team-a',
      );
      expect(worse).toMatchObject({ status: 0, steps: ['train', 'evaluate'] });
      expect(broken).toMatchObject({ status: 1, steps: ['train', 'evaluate'] });
    });

    it("trains with the pipeline's out-of-scope examples and evaluates them apart", async () => {
      const callsOf = async (s: typeof spec) => {
        const step = resolve(s, 'retrain', 'train-evaluate-register');
        const run = await runScript(step.template.script!.source!, {}, scriptEnv(step));
        workDirs.push(run.work);
        return run.calls;
      };
      const [builtin, none] = await Promise.all([
        callsOf(spec),
        callsOf(withDefaults({ ...spec, retraining: { outOfScopeExamples: 'none' } })),
      ]);
      expect(builtin[0]).toMatch(
        /^train --from-db --out-of-scope builtin --out \S+\/bundle --write-test \S+\/test\.jsonl$/,
      );
      expect(none[0]).toMatch(/^train --from-db --out \S+\/bundle --write-test /);
      for (const calls of [builtin, none])
        expect(calls.find((call) => call.startsWith('evaluate '))).toContain(
          '--outlier-column outOfScope',
        );
      // A CronWorkflow written before the parameter existed still calls the template: the
      // template's default is the CRD's.
      const parameter = train.jobTemplate.inputs!.parameters!.find(
        (p) => p.name === 'out-of-scope',
      );
      expect(parameter?.default).toBe(spec.retraining.outOfScopeExamples);
      expect(spec.retraining.outOfScopeExamples).toBe('builtin');
    });

    it("gives the registered ModelVersion the pipeline's retraining.rollout, else the CRD's default", async () => {
      const rollout = {
        strategy: 'Canary',
        steps: [{ weight: 50, pause: '30s' }],
        analysis: { metrics: [{ name: 'online-accuracy', provider: 'mlflow', min: 0.7 }] },
      };
      const withRollout = withDefaults({ ...spec, retraining: { rollout } });
      const registerCall = async (s: typeof spec) => {
        const step = resolve(s, 'retrain', 'train-evaluate-register');
        const run = await runScript(step.template.script!.source!, {}, scriptEnv(step));
        workDirs.push(run.work);
        return run.calls.find((call) => call.startsWith('register '))!;
      };
      const given = / --rollout (.*)$/.exec(await registerCall(withRollout));
      expect(JSON.parse(given![1]!)).toEqual(rollout);
      expect(await registerCall(spec)).toMatch(/ --rollout $/);
    });
  });
});
