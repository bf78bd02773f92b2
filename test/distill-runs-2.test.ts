import { describeFixtureRuns } from './support/fixtureRuns.ts';

describeFixtureRuns(1, 2);
