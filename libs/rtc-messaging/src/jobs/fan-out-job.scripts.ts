/**
 * The Lua scripts behind a job's checkpoint. Each runs atomically in Redis, so a worker that dies
 * between two of them leaves a state the next one can read: a recipient is either recorded (its
 * bit in `rec` set and its line in `out`), in flight (in `fly`, not recorded), or untouched.
 *
 * A job without `meta` is gone (its retention ran out, or it was deleted): every script checks
 * that first and then writes nothing, so none recreates a key of a job that is gone.
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
 * Returns 1 recorded, 0 it already was (the first outcome stands, counted once), -1 the job is gone.
 */
export const RECORD_OUTCOME = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
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
local reason = cjson.encode(ARGV[4])
for _, offset in ipairs(inFlight) do
  if not atLeastOnce and redis.call('GETBIT', KEYS[3], offset) == 0 then
    redis.call('SETBIT', KEYS[3], offset, 1)
    local index = tonumber(ARGV[2]) + tonumber(offset)
    redis.call('APPEND', KEYS[4], offset .. '\\tu\\t' .. reason .. '\\n')
    redis.call('HINCRBY', KEYS[1], 'unknown', 1)
    redis.call('HINCRBY', KEYS[1], 'done', 1)
    if redis.call('LLEN', KEYS[5]) < tonumber(ARGV[3]) then
      -- The one id it needs, stored as a JSON string: spliced in as it is, never decoded.
      local to = redis.call('LINDEX', KEYS[6], offset)
      if not to then to = 'null' end
      redis.call('RPUSH', KEYS[5], '{"to":' .. to .. ',"index":' .. index .. ',"reason":' .. reason .. '}')
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
 * slice, or a cancelled job) or the job is gone; -2 when the job has ended (this call ended it,
 * or it already had: a slice finished twice, its worker died after this ran, answers the same).
 * A job that ends cancelled counts the recipients it never sent: `cancelled = total - done`.
 */
export const FINISH_SLICE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HEXISTS', KEYS[1], 'finishedAt') == 1 then return -2 end
local slice = tonumber(ARGV[1])
local lanes = tonumber(ARGV[2])
local slices = tonumber(ARGV[3])
local nextSlice = slice + lanes
local cancelled = redis.call('HGET', KEYS[1], 'cancelRequested') == '1'
if not cancelled and nextSlice < slices then
  return nextSlice
end
redis.call('SADD', KEYS[2], slice % lanes)
if redis.call('SCARD', KEYS[2]) < math.min(lanes, slices) then return -1 end
if cancelled then
  local total = tonumber(redis.call('HGET', KEYS[1], 'total'))
  local done = tonumber(redis.call('HGET', KEYS[1], 'done'))
  redis.call('HSET', KEYS[1], 'state', 'cancelled', 'finishedAt', ARGV[4], 'cancelled', total - done)
else
  redis.call('HSET', KEYS[1], 'state', 'completed', 'finishedAt', ARGV[4])
end
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

/**
 * Ends a job's creation, for some of its keys at a time. KEYS: meta, then the keys the creation
 * wrote (ids, and rec / out / refusals of the recipients refused at creation). ARGV: '' to lift
 * the creation's lease, or the time (ms) they expire (a job that ended at creation); '1' to do
 * `meta` too (the last call). Returns how many of the keys are gone (0: all there), -1 when
 * `meta` is. A job a worker has already ended is left as it is: the worker set its retention,
 * and lifting it here would keep the job forever.
 */
export const SEAL_JOB = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if ARGV[1] == '' and redis.call('HEXISTS', KEYS[1], 'finishedAt') == 1 then return 0 end
local first = 2
if ARGV[2] == '1' then first = 1 end
local gone = 0
for i = first, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then
    gone = gone + 1
  elseif ARGV[1] == '' then
    redis.call('PERSIST', KEYS[i])
  else
    redis.call('PEXPIREAT', KEYS[i], ARGV[1])
  end
end
return gone
`;
