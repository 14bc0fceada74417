/** One rule's verdict, with what was seen: a failure must say what broke, not just that it did. */
export interface RuleResult {
  readonly rule: string;
  readonly ok: boolean;
  readonly evidence: string;
}

/** Collects verdicts in the order the rules were judged. */
export class Verdicts {
  readonly results: RuleResult[] = [];

  constructor(private readonly onResult: (result: RuleResult) => void = () => {}) {}

  judge(rule: string, ok: boolean, evidence: string): boolean {
    const result = { rule, ok, evidence };
    this.results.push(result);
    this.onResult(result);
    return ok;
  }

  get failed(): RuleResult[] {
    return this.results.filter((r) => !r.ok);
  }
}

/** `PASS rule — evidence` / `FAIL rule — evidence`, one line per rule. */
export function formatResult(result: RuleResult): string {
  return `${result.ok ? 'PASS' : 'FAIL'} ${result.rule} — ${result.evidence}`;
}
