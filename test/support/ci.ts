/** Under CI a missing external tool fails its tests instead of skipping them. */
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
