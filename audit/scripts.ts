import { luaCommand, type CommandTable } from '../redis/script-loader.js';

const lua = (file: string) => new URL(`./lua/${file}`, import.meta.url);

/**
 * The access log's scripts: appending a batch of records (log.ts) and dropping what is past the
 * log's retention (purge.ts). With WHOHAD_WAIT_REPLICAS set, an append resolves only once a
 * replica holds it, so a look-up is never answered with a record a failover could lose.
 */
export const auditCommands: CommandTable = [luaCommand(lua('auditAppend-2.lua'), { waitsForReplicas: true }), luaCommand(lua('auditPurge-2.lua'))];
