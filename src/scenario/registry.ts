import type { AuditQuery } from '../schema/audit.ts';
export async function scenarioAuditQueries(): Promise<AuditQuery[]> {
  return [];
}
