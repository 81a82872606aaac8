// tooling/loss.cc - see loss.h.
#include "tooling/loss.h"

#include <errno.h>  // program_invocation_short_name
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void loss_options_add(OptionTable* table, LossOptions* loss)
{
  table->add({ 0, "drop", "N[xK]", OptionType::kTextList, 0, 0, nullptr, nullptr, &loss->drop_text,
               "lose the first K (default 1) transmissions of each connection's\n"
               "Nth new data segment; may be given several times",
               "丢掉每个连接第 N 个新数据分节的前 K 次（默认 1 次）传输；可给多次" });
  table->add({ 0, "loss", "P", OptionType::kInt, 0, 100, "a percentage", "5", &loss->loss_percent,
               "lose each data segment with probability P percent (default 0)",
               "每个数据分节以 P% 的概率丢失（默认 0）" });
  table->add({ 0, "seed", "S", OptionType::kLong, 0, 2147483647, "a seed", "42", &loss->seed,
               "--loss's random numbers start from S (default 1): same S, same losses",
               "--loss 的随机数从 S 开始（默认 1）：S 相同，丢失相同" });
}

static uint64_t rng_state = 1;

void loss_seed(long seed)
{
  // xorshift64* must not start at 0; mix the seed so that 1 and 2 part at once.
  rng_state = (static_cast<uint64_t>(seed) + 1) * 0x9E3779B97F4A7C15ull;
}

static uint32_t rng_next()
{
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return static_cast<uint32_t>((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

bool drop_parse(const char* text, DropRule* rule)
{
  char n_text[16];
  const char* x = strchr(text, 'x');
  const size_t n_len = x ? static_cast<size_t>(x - text) : strlen(text);
  if (n_len == 0 || n_len >= sizeof n_text)
    return false;
  memcpy(n_text, text, n_len);
  n_text[n_len] = '\0';
  long n = 0, k = 1;
  if (!parse_number(n_text, 1, kDropMaxN, false, &n))
    return false;
  if (x && !parse_number(x + 1, 1, kDropMaxK, false, &k))
    return false;
  rule->n = n;
  rule->k = k;
  return true;
}

void loss_options_check_or_exit(const OptionTable& table, LossOptions* loss)
{
  bool ok = loss->drop_text.size() <= static_cast<size_t>(kDropMaxRules);
  if (!ok)
    fprintf(stderr, "%s: --drop given %zu times: expected at most %d\n",
            program_invocation_short_name, loss->drop_text.size(), kDropMaxRules);
  loss->drops.clear();
  for (const char* text : loss->drop_text)
  {
    DropRule rule;
    if (!ok)
      break;
    if (!drop_parse(text, &rule))
    {
      fprintf(stderr, "%s: --drop %s: expected N or NxK, the Nth new data segment 1..%ld, "
              "its first K transmissions 1..%ld (e.g. 3 or 3x4)\n",
              program_invocation_short_name, text, kDropMaxN, kDropMaxK);
      ok = false;
      break;
    }
    loss->drops.push_back(rule);
  }
  loss_seed(loss->seed);
  if (!ok)
  {
    table.usage_print(stderr);
    fputs("(-h tells every option / -h 列出全部选项)\n", stderr);
    exit(2);
  }
}

static bool seq_before(uint32_t a, uint32_t b)
{
  return static_cast<int32_t>(a - b) < 0;
}

void loss_start(LossState* state, uint32_t first)
{
  *state = LossState();
  state->high = first;
}

bool loss_drop(const LossOptions& loss, LossState* state, uint32_t seq, int len,
               char* why, int why_size)
{
  if (len <= 0)
    return false;
  const uint32_t end = seq + static_cast<uint32_t>(len);
  // A segment that begins at or past every byte seen before is new data;
  // one that begins before is a retransmission (of what a rule picked, maybe).
  if (!seq_before(seq, state->high))
  {
    ++state->new_segments;
    for (size_t i = 0; i < loss.drops.size() && i < static_cast<size_t>(kDropMaxRules); ++i)
      if (loss.drops[i].n == static_cast<long>(state->new_segments))
      {
        state->seq[i] = seq;
        state->left[i] = static_cast<uint8_t>(loss.drops[i].k);
      }
  }
  if (seq_before(state->high, end))
    state->high = end;
  for (size_t i = 0; i < loss.drops.size() && i < static_cast<size_t>(kDropMaxRules); ++i)
  {
    if (state->left[i] > 0 && state->seq[i] == seq)
    {
      const long k = loss.drops[i].k;
      snprintf(why, why_size, "drop (--drop %ldx%ld): transmission %ld of %ld of seq %u, new segment %ld",
               loss.drops[i].n, k, k - state->left[i] + 1, k, seq, loss.drops[i].n);
      --state->left[i];
      return true;
    }
  }
  // --loss P: a draw in 0..99 below P.  Every data segment draws, so the
  // losses depend on the seed and on the order the segments come in.
  if (loss.loss_percent > 0 && static_cast<int>(rng_next() % 100) < loss.loss_percent)
  {
    snprintf(why, why_size, "drop (--loss %d): seq %u", loss.loss_percent, seq);
    return true;
  }
  return false;
}
