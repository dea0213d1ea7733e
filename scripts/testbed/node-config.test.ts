import { forwardDropRules, kubeChainsIn, nodeNetwork, splitRule } from './node-config.js';

describe('node configuration', () => {
  it('names the bridge and the rules after the run, within the 15-character interface limit', () => {
    const net = nodeNetwork('a1b2c3');
    expect(net.bridge).toBe('itb-a1b2c3');
    expect(net.bridge.length).toBeLessThanOrEqual(15);
    for (const rule of forwardDropRules(net)) {
      expect(rule).toContain(net.ruleComment);
      expect(rule.slice(-2)).toEqual(['-j', 'DROP']);
    }
  });

  it('drops pod traffic leaving, or entering the pod subnet, by any interface but the bridge', () => {
    const net = nodeNetwork('a1b2c3');
    const [out, into] = forwardDropRules(net);
    expect(out!.slice(0, 5)).toEqual(['-s', '10.244.0.0/24', '!', '-o', 'itb-a1b2c3']);
    expect(into!.slice(0, 5)).toEqual(['-d', '10.244.0.0/24', '!', '-i', 'itb-a1b2c3']);
  });

  it('splits iptables -S lines, keeping quoted comments whole', () => {
    expect(
      splitRule('-A INPUT -m comment --comment "kubernetes health check rules" -j KUBE-NODEPORTS'),
    ).toEqual([
      '-A',
      'INPUT',
      '-m',
      'comment',
      '--comment',
      'kubernetes health check rules',
      '-j',
      'KUBE-NODEPORTS',
    ]);
  });

  it('finds the KUBE-* chains and the built-in rules jumping to them, and nothing else', () => {
    const listing = [
      '-P INPUT ACCEPT',
      '-P FORWARD ACCEPT',
      '-N KUBE-FIREWALL',
      '-N KUBE-KUBELET-CANARY',
      '-N OTHER',
      '-A INPUT -j KUBE-FIREWALL',
      '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
      '-A FORWARD -j OTHER',
      '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -j DROP',
    ].join('\n');
    expect(kubeChainsIn(listing)).toEqual({
      chains: ['KUBE-FIREWALL', 'KUBE-KUBELET-CANARY'],
      jumps: [
        ['INPUT', '-j', 'KUBE-FIREWALL'],
        [
          'FORWARD',
          '-m',
          'comment',
          '--comment',
          'kubernetes forwarding rules',
          '-j',
          'KUBE-FORWARD',
        ],
      ],
    });
  });
});
