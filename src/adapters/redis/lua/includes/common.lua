--[[
Shared helpers, inlined where a script says `--- @include "common"`. Locals only, no globals.

Written for two interpreters: Redis 7 (Lua 5.1, every number a double) and ioredis-mock 8.13.1
(fengari: Lua 5.3 with 32-bit integers). Hence:
- numbers leave a script as strings made by `int` (%.0f), never by tostring(), which prints
  "5.0" for floats in Lua 5.3; arithmetic that may pass 2^31 (ms timestamps) is done on floats;
- every value written to Redis is a string (the mock stores Lua numbers as JS numbers);
- a reply nested inside a reply (a stream entry, its fields) is read through `nested`, because
  real Redis hands a script 1-based Lua tables while the mock hands it JS arrays that are 0-based
  below the top level;
- replies of HMGET are avoided (the mock returns a JS null, not false, for a missing field);
- a returned table is always built by one table constructor (see with_state).
]]

local CODE_APPLIED = 0
local CODE_DUPLICATE = 1
local CODE_EXHAUSTED = 2
local CODE_NOT_FOUND = -1
local CODE_ALREADY_EXISTS = -2
local CODE_STALE_EPOCH = -3
local CODE_TERMINAL = -4
local CODE_INVALID_STATE = -5
local CODE_ALREADY_COMMITTED = -6
local CODE_NOT_CLAIMABLE = -7
local CODE_CORRUPT = -8
local CODE_CONFLICT = -9

-- An integral number as decimal digits (exact up to 2^53).
local function int(value)
  return string.format('%.0f', value)
end

-- A non-negative integer read from a stored string, or nil for anything else. As a float, so that
-- sums cannot overflow the mock's 32-bit integers.
local function parse_int(value)
  if type(value) ~= 'string' or #value > 15 or not string.match(value, '^%d+$') then
    return nil
  end
  return tonumber(value) * 1.0
end

-- Now in ms: the caller's clock when it passed one, else the Redis server clock (TIME).
local function now_ms(given)
  if given ~= '' then
    return tonumber(given)
  end
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000.0 + math.floor(tonumber(time[2]) / 1000)
end

-- Element `position` (1-based) of a list nested inside a reply.
local function nested(list, position)
  if list[0] ~= nil then
    return list[position - 1]
  end
  return list[position]
end

-- The hash at `key` as a table of field -> value, or nil when the key does not exist.
local function read_hash(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then
    return nil
  end
  local hash = {}
  for position = 1, #flat, 2 do
    hash[flat[position]] = flat[position + 1]
  end
  return hash
end

local known_phases = { queued = true, chunking = true, transcribing = true, finalizing = true, completed = true, failed = true }
local integer_fields = {
  'chunkLengthMs', 'epoch', 'leaseExpiresAtMs', 'nextSeq', 'recoveryAttempts', 'recoveryStartedAtMs',
  'recoveryRecreatedChunks', 'chunkCount', 'committedCount', 'transcriptChars', 'revision',
}

-- The fields of a stored job that the scripts read, parsed; or nil and the first problem found.
local function decode_job(hash)
  if not known_phases[hash.phase] then
    return nil, 'unknown phase ' .. tostring(hash.phase)
  end
  local job = { phase = hash.phase, owner = hash.owner, lastRequestId = hash.lastRequestId }
  for _, name in ipairs({ 'recoveryOpen', 'recoveryResumed' }) do
    if hash[name] ~= '0' and hash[name] ~= '1' then
      return nil, name .. ' is not 0 or 1'
    end
    job[name] = hash[name] == '1'
  end
  for _, name in ipairs(integer_fields) do
    local value = parse_int(hash[name])
    if value == nil then
      return nil, name .. ' is not a non-negative integer'
    end
    job[name] = value
  end
  -- Absent from a job stored before hand-overs were counted apart: 0, all its recoveries count.
  job.recoveryHandovers = 0
  if hash.recoveryHandovers ~= nil then
    job.recoveryHandovers = parse_int(hash.recoveryHandovers)
    if job.recoveryHandovers == nil then
      return nil, 'recoveryHandovers is not a non-negative integer'
    end
  end
  if job.recoveryHandovers > job.recoveryAttempts then
    return nil, 'recoveryHandovers is above recoveryAttempts'
  end
  if job.nextSeq < 1 then
    return nil, 'nextSeq is below 1'
  end
  -- chunksPerJobMax of src/core/limits.ts: an absurd count is corrupt state.
  if job.chunkCount > 10000 then
    return nil, 'chunkCount is above chunksPerJobMax (10000)'
  end
  return job
end

-- Seq of the last event in the stream at `key` (0 when there is none), and that entry's fields.
local function last_event(key)
  local entries = redis.call('XREVRANGE', key, '+', '-', 'COUNT', '1')
  if #entries == 0 then
    return 0, nil
  end
  local entry = entries[1]
  return tonumber(string.match(nested(entry, 1), '^(%d+)')), nested(entry, 2)
end

-- The value of field `name` in the flat field list of a stream entry, or nil.
local function entry_field(fields, name)
  if fields == nil then
    return nil
  end
  for position = 1, 199, 2 do
    local field = nested(fields, position)
    if field == nil then
      return nil
    end
    if field == name then
      return nested(fields, position + 1)
    end
  end
  return nil
end

-- nil when the event stream ends right before nextSeq, else the problem.
local function stream_problem(key, nextSeq)
  local last = last_event(key)
  if last ~= nextSeq - 1 then
    return 'the event stream ends at seq ' .. int(last) .. ' but nextSeq is ' .. int(nextSeq)
  end
  return nil
end

-- Loads and decodes the job at `stateKey` and checks its stream (when `eventsKey` is given);
-- returns the job, or nil and the reply refusing the write.
local function load_job(stateKey, eventsKey)
  local hash = read_hash(stateKey)
  if hash == nil then
    return nil, { CODE_NOT_FOUND }
  end
  local job, problem = decode_job(hash)
  if job == nil then
    return nil, { CODE_CORRUPT, problem }
  end
  if eventsKey ~= nil then
    problem = stream_problem(eventsKey, job.nextSeq)
    if problem ~= nil then
      return nil, { CODE_CORRUPT, problem }
    end
  end
  return job
end

local function is_terminal(phase)
  return phase == 'completed' or phase == 'failed'
end

-- The checks every fenced write makes first (after existence): nil when the write may go on,
-- else the reply (DUPLICATE for the retry of the last applied write, or a refusal).
local function fence(job, workerId, epoch, requestId)
  if job.lastRequestId == requestId then
    return { CODE_DUPLICATE }
  end
  if job.epoch ~= epoch or job.owner ~= workerId then
    return { CODE_STALE_EPOCH, int(job.epoch) }
  end
  if is_terminal(job.phase) then
    return { CODE_TERMINAL, job.phase }
  end
  return nil
end

local function invalid(job, detail)
  return { CODE_INVALID_STATE, job.phase, detail }
end

-- Loads the job and makes the fencing checks of every fenced write: the job, or nil and the reply
-- to return (a refusal, or DUPLICATE for the retry of the last applied write).
local function load_fenced(stateKey, eventsKey, workerId, epoch, requestId)
  local job, refusal = load_job(stateKey, eventsKey)
  if job == nil then
    return nil, refusal
  end
  refusal = fence(job, workerId, epoch, requestId)
  if refusal ~= nil then
    return nil, refusal
  end
  return job
end

-- Chunk `index` of a job, which must exist and be pending: its field name, or nil and the reply
-- to return (INVALID_STATE, ALREADY_COMMITTED, or CORRUPT for a status that is neither).
local function pending_chunk(job, chunksKey, index)
  if index >= job.chunkCount then
    return nil, invalid(job, 'chunk ' .. int(index) .. ' does not exist')
  end
  local name = int(index)
  local status = redis.call('HGET', chunksKey, name .. ':status')
  if status == 'committed' then
    return nil, { CODE_ALREADY_COMMITTED, name }
  end
  if status ~= 'pending' then
    return nil, { CODE_CORRUPT, 'chunk ' .. name .. ' has status ' .. tostring(status) }
  end
  return name
end

-- Appends the events of one write to the stream at `key`, with consecutive seqs from `seq`
-- (entry id `<seq>-0`) and the common fields; `writer.next_seq` is the job's next nextSeq.
local function event_writer(key, jobId, seq, now, workerId, epoch, recovery)
  local writer = { next_seq = seq }
  local flag = 'false'
  if recovery then
    flag = 'true'
  end
  function writer.add(name, ...)
    redis.call('XADD', key, int(writer.next_seq), 'event', name, 'job_id', jobId, 'seq', int(writer.next_seq),
      'timestamp', int(now), 'worker_id', workerId, 'epoch', int(epoch), 'recovery', flag, ...)
    writer.next_seq = writer.next_seq + 1
  end
  return writer
end

-- Writes `fields` (name, value, ...) to the state hash and bumps its revision.
local function write_state(key, job, fields)
  redis.call('HSET', key, 'revision', int(job.revision + 1), unpack(fields))
end

-- Sets the time to live of every key in `keys` (a terminal job's retention).
local function expire_all(keys, retentionMs)
  for _, key in ipairs(keys) do
    redis.call('PEXPIRE', key, retentionMs)
  end
end

-- The reply { code, extra, <state hash as field, value, ...> }. Built by one table constructor:
-- ioredis-mock converts a returned table to a reply only when its keys iterate in constructor
-- order, which a table filled by assignment does not.
local function with_state(code, key, extra)
  local flat = redis.call('HGETALL', key)
  local values = {}
  for position = 1, #flat do
    values[position] = flat[position]
  end
  return { code, extra, unpack(values) }
end
