// `npm run docs`: writes the documentation generated from the schemas.
import { writeFileSync } from 'node:fs';
import { configJsonSchema, configurationMarkdown, snapshotJsonSchema } from '../dist/config/docs.js';

writeFileSync('docs/config.schema.json', `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
writeFileSync('docs/snapshot.schema.json', `${JSON.stringify(snapshotJsonSchema(), null, 2)}\n`);
writeFileSync('docs/configuration.md', configurationMarkdown());
console.log('wrote docs/config.schema.json, docs/snapshot.schema.json, docs/configuration.md');
