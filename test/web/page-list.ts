import type { TestApp } from '../helpers/app.js';
import { buildAuditor, buildDay, buildDpo, buildEmployee, buildOperator, buildProject, buildTeamAdmin, localDate, type BuiltPerson } from '../helpers/factories.js';

/** Who opens a page in the browser walks: nobody, or one of the people built below. */
export type Viewer = 'anonymous' | 'employee' | 'team_admin' | 'operator' | 'dpo' | 'auditor';

/** One page to visit, as the person who can see it. */
export interface ListedPage {
  path: string;
  as: Viewer;
}

/** The people and data the listed pages need. */
export interface PageWorld {
  people: Record<Exclude<Viewer, 'anonymous'>, BuiltPerson>;
  pages: ListedPage[];
}

/**
 * Every page of the appliance, each as a role that sees its full content, kept in this
 * one place for the browser walks (390 px layout, axe-core). A new page goes here.
 */
export async function pageWorld(a: TestApp): Promise<PageWorld> {
  const admin = await buildTeamAdmin(a, { team: 'ward-3' });
  const employee = await buildEmployee(a, { team: 'ward-3' });
  const operator = await buildOperator(a);
  const dpo = await buildDpo(a);
  const auditor = await buildAuditor(a);
  const { projectId } = await buildProject(a, { by: admin, team: 'ward-3', name: 'Roosterplanning voor de verpleegafdeling drie' });
  const submitted = await buildDay(employee, { projectId, state: 'submitted', date: localDate(2) });
  await buildDay(employee, { projectId, state: 'returned', admin, comment: 'Please split the night shift', date: localDate(3) });
  const dayId = (await a.db.knex('timesheet_days').where({ owner_id: employee.id, date: submitted.date }).first('id')).id as string;
  // An open correction request, so the admin's correction inbox shows a row with its forms.
  await employee.client.json('POST', `/api/v1/me/days/${submitted.date}/corrections`, { text: 'De nachtdienst liep tot zeven uur' });
  const pages: ListedPage[] = [
    { path: '/', as: 'anonymous' },
    { path: '/sign-in', as: 'anonymous' },
    { path: '/password-reset', as: 'anonymous' },
    { path: '/', as: 'employee' },
    { path: '/account', as: 'employee' },
    { path: '/timesheets', as: 'employee' },
    { path: `/timesheets/day/${submitted.date}`, as: 'employee' },
    { path: `/timesheets/day/${localDate(1)}`, as: 'employee' },
    { path: '/timesheets/timer', as: 'employee' },
    { path: '/timesheets/data-reads', as: 'employee' },
    { path: '/timesheets/projects', as: 'employee' },
    { path: '/me/data', as: 'employee' },
    { path: '/privacy/my-requests', as: 'employee' },
    { path: '/exports', as: 'employee' },
    { path: '/working-time', as: 'employee' },
    { path: '/', as: 'team_admin' },
    { path: '/timesheets/inbox', as: 'team_admin' },
    { path: `/timesheets/days/${dayId}`, as: 'team_admin' },
    { path: '/reports', as: 'team_admin' },
    { path: '/timesheets/corrections', as: 'team_admin' },
    { path: '/timesheets/projects', as: 'operator' },
    { path: '/operator', as: 'operator' },
    { path: '/privacy/requests', as: 'dpo' },
    { path: '/privacy/breaches', as: 'dpo' },
    { path: `/capture/day/${localDate(1)}`, as: 'employee' },
    { path: `/timesheets/day/${submitted.date}/correction`, as: 'employee' },
    { path: '/privacy/notice', as: 'employee' },
    { path: '/privacy/works-council', as: 'dpo' },
    { path: '/operator/people/new', as: 'operator' },
    { path: '/audit', as: 'auditor' },
    { path: '/audit/log', as: 'auditor' },
    { path: '/audit/verification', as: 'auditor' },
    { path: '/audit/access-review', as: 'auditor' },
    { path: '/audit/retention', as: 'auditor' },
    { path: '/audit/configuration', as: 'auditor' },
  ];
  return { people: { employee, team_admin: admin, operator, dpo, auditor }, pages };
}
