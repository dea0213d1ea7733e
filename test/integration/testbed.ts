/** The test bed's addresses as set by global-setup; a clear error when run without it. */
import * as k8s from '@kubernetes/client-node';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run integration tests through jest (npm test), whose globalSetup starts the test bed`,
    );
  }
  return value;
}

export const testbed = {
  get kubeconfig(): string {
    return required('TESTBED_KUBECONFIG');
  },
  get mlflowUrl(): string {
    return required('TESTBED_MLFLOW_URL');
  },
  get databaseUrl(): string {
    return required('TESTBED_DATABASE_URL');
  },
  kubeConfig(): k8s.KubeConfig {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(this.kubeconfig);
    return kc;
  },
};
