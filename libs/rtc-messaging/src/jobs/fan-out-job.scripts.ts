/**
 * The Lua scripts behind a job's checkpoint. Each runs atomically in Redis, so a worker that dies
 * between two of them leaves a state the next one can read: a recipient is either recorded (its
 * bit in `rec` set and its line in `out`), in flight (in `fly`, not recorded), or untouched.
 *
 * All keys of a job share one hash tag (`{id}`), so the scripts also run on a Redis Cluster.
 */

/**
 * Before a recipient goes on the wire. KEYS: meta, fly, rec. ARGV: offset in the slice.
 * Returns 1 marked (send it), 0 the job is cancelled (send nothing more), 2 already recorded,
 * 3 already in flight elsewhere, -1 the job is gone.
 */
export const MARK_IN_FLIGHT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[1], 'cancelRequested') == '1' then return 0 end
if redis.call('GETBIT', KEYS[3], ARGV[1]) == 1 then return 2 end
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 3 end
return 1
`;

/**
 * A recipient's outcome. KEYS: meta, out, rec, fly, samples (refusals or unknowns).
 * ARGV: offset, status (sent | refused | unknown), outcome line, sample (JSON or ''), max samples.
 * Returns 1 recorded, 0 it already was (the first outcome stands, counted once).
 */
export const RECORD_OUTCOME = `
redis.call('SREM', KEYS[4], ARGV[1])
if redis.call('SETBIT', KEYS[3], ARGV[1], 1) == 1 then return 0 end
redis.call('APPEND', KEYS[2], ARGV[3])
redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
redis.call('HINCRBY', KEYS[1], 'done', 1)
if ARGV[4] ~= '' and redis.call('LLEN', KEYS[5]) < tonumber(ARGV[5]) then
  redis.call('RPUSH', KEYS[5], ARGV[4])
end
return 1
`;

/**
 * When a worker takes a slice (first time, or again after its worker died). KEYS: meta, fly, rec,
 * out, unknowns, ids. ARGV: now (ms), index of the slice's first recipient, max samples, reason.
 *
 * A recipient still in flight was on its way to the upstream when the last worker stopped: it
 * may have been delivered. It is recorded `unknown` (never resent), unless the job was created
 * `atLeastOnce`, where it is released to be sent again. Returns how many were recorded unknown.
 */
export const BEGIN_SLICE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[1], 'state') == 'queued' then
  redis.call('HSET', KEYS[1], 'state', 'running', 'startedAt', ARGV[1])
end
local atLeastOnce = redis.call('HGET', KEYS[1], 'atLeastOnce') == '1'
local inFlight = redis.call('SMEMBERS', KEYS[2])
local interrupted = 0
local ids = nil
for _, offset in ipairs(inFlight) do
  if not atLeastOnce and redis.call('GETBIT', KEYS[3], offset) == 0 then
    redis.call('SETBIT', KEYS[3], offset, 1)
    local index = tonumber(ARGV[2]) + tonumber(offset)
    redis.call('APPEND', KEYS[4], offset .. '\\tu\\t' .. cjson.encode(ARGV[4]) .. '\\n')
    redis.call('HINCRBY', KEYS[1], 'unknown', 1)
    redis.call('HINCRBY', KEYS[1], 'done', 1)
    if redis.call('LLEN', KEYS[5]) < tonumber(ARGV[3]) then
      if ids == nil then ids = cjson.decode(redis.call('GET', KEYS[6])) end
      redis.call('RPUSH', KEYS[5], cjson.encode({to = ids[tonumber(offset) + 1], index = index, reason = ARGV[4]}))
    end
    interrupted = interrupted + 1
  end
  redis.call('SREM', KEYS[2], offset)
end
return interrupted
`;

/**
 * When a worker is through with a slice. KEYS: meta, lanes-done. ARGV: slice, lanes, slices, now.
 * Returns the next slice of the same lane to queue, or -1 when the lane is done (the job's last
 * slice, or a cancelled job); -2 when this made the whole job finish. Idempotent: a slice finished
 * twice (its worker died after this ran) answers the same.
 */
export const FINISH_SLICE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local slice = tonumber(ARGV[1])
local lanes = tonumber(ARGV[2])
local slices = tonumber(ARGV[3])
local nextSlice = slice + lanes
if redis.call('HGET', KEYS[1], 'cancelRequested') ~= '1' and nextSlice < slices then
  return nextSlice
end
redis.call('SADD', KEYS[2], slice % lanes)
if redis.call('SCARD', KEYS[2]) < math.min(lanes, slices) then return -1 end
if redis.call('HEXISTS', KEYS[1], 'finishedAt') == 1 then return -1 end
local cancelled = redis.call('HGET', KEYS[1], 'cancelRequested') == '1'
redis.call('HSET', KEYS[1], 'state', cancelled and 'cancelled' or 'completed', 'finishedAt', ARGV[4])
return -2
`;

/**
 * Stops a job: no recipient is marked in flight after this. KEYS: meta. ARGV: now.
 * Returns 1 when it was running or queued, 0 when it had already finished, -1 when unknown.
 */
export const CANCEL_JOB = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HEXISTS', KEYS[1], 'finishedAt') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'cancelRequested', '1', 'state', 'cancelling', 'cancelledAt', ARGV[1])
return 1
`;
