import { SpError } from '../../protocols/errors.ts';
import type { ScenarioDefinition } from '../scenario-types.ts';
import { bakery } from './bakery.ts';

// Every scenario by name. Add a new one here and the CLI, the runner and the edge-config
// builder know it.
const SCENARIOS: Record<string, ScenarioDefinition> = {
  [bakery.name]: bakery,
};

export function scenarioNames(): string[] {
  return Object.keys(SCENARIOS).sort();
}

export function listScenarios(): ScenarioDefinition[] {
  return scenarioNames().map((n) => SCENARIOS[n]!);
}

/** The scenario called `name`; an unknown name is SP_ERR_NOT_FOUND listing the known ones. */
export function getScenario(name: string, field = 'scenario'): ScenarioDefinition {
  const s = Object.hasOwn(SCENARIOS, name) ? SCENARIOS[name] : undefined;
  if (!s) throw new SpError('SP_ERR_NOT_FOUND', { field, reason: `unknown scenario "${name}" (known: ${scenarioNames().join(', ')})` });
  return s;
}
