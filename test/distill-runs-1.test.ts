import { describeFixtureRuns } from './support/fixtureRuns.ts';

describeFixtureRuns(0, 2);
