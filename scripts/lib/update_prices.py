"""Writes etc/prices.json from the installed genai-prices package.

providerd prices usage the way genai-prices' `calc_price` does for the default
price variant, so this keeps genai-prices' own structure (providers in order,
their id and provider-match clauses, model match clauses, conditional prices,
tiers) and drops only what providerd's records cannot carry: descriptions,
usage extractors, price variants and prices of units a usage record never
reports (audio, images, documents, searches...). Prices are decimal strings,
never floats.

Before writing, every carried price is checked against `calc_price` on probe
usages (tiers crossed, caches, request fees, each conditional window): the file
is not written if one differs.

Usage: python update_prices.py OUTPUT
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import genai_prices
from genai_prices import types as T
from genai_prices.data import providers

# Price keys whose counts a providerd record can make non-zero. Every other key
# genai-prices knows prices a unit providerd never receives: its count is 0.
CARRIED_KEYS = ('input_mtok', 'output_mtok', 'cache_read_mtok', 'cache_write_mtok', 'requests_kcount')

# PydanticAI's provider prefixes that genai-prices does not resolve itself (or
# that the issue names explicitly); applied before genai-prices' provider match.
ALIASES = {
    'google-gla': 'google',
    'google-vertex': 'google',
    'google-cloud': 'google',
    'gemini': 'google',
    'openai-chat': 'openai',
    'openai-responses': 'openai',
    'grok': 'x-ai',
    'xai': 'x-ai',
}

# Providers that run models locally: every model costs 0.
LOCAL_PROVIDERS = ('ollama',)

# The replaced Python UsageTracker's table, USD per 1,000 tokens (input, output).
SEED_PRICES = {
    'openai:gpt-4o': ('0.0025', '0.01'),
    'openai:gpt-4o-mini': ('0.00015', '0.0006'),
    'openai:gpt-4-turbo': ('0.01', '0.03'),
    'openai:gpt-4': ('0.03', '0.06'),
    'openai:gpt-3.5-turbo': ('0.0005', '0.0015'),
    'openai:text-embedding-3-small': ('0.00002', '0'),
    'openai:text-embedding-3-large': ('0.00013', '0'),
    'openai:text-embedding-ada-002': ('0.0001', '0'),
    'anthropic:claude-3-opus-20240229': ('0.015', '0.075'),
    'anthropic:claude-3-sonnet-20240229': ('0.003', '0.015'),
    'anthropic:claude-3-haiku-20240307': ('0.00025', '0.00125'),
    'anthropic:claude-2.1': ('0.008', '0.024'),
    'anthropic:claude-2': ('0.008', '0.024'),
    'gemini:gemini-1.5-pro': ('0.00125', '0.005'),
    'gemini:gemini-1.5-flash': ('0.000075', '0.0003'),
    'google:gemini-1.5-pro': ('0.00125', '0.005'),
    'google:gemini-1.5-flash': ('0.000075', '0.0003'),
    'gemini:gemini-pro': ('0.0005', '0.0015'),
    'groq:llama-3.1-70b-versatile': ('0.00059', '0.00079'),
    'groq:llama-3.1-8b-instant': ('0.00005', '0.00008'),
    'groq:mixtral-8x7b-32768': ('0.00024', '0.00024'),
    'mistral:mistral-large-latest': ('0.002', '0.006'),
    'mistral:mistral-medium-latest': ('0.00065', '0.00196'),
    'mistral:mistral-small-latest': ('0.0002', '0.0006'),
    'cohere:command-r-plus': ('0.003', '0.015'),
    'cohere:command-r': ('0.0005', '0.0015'),
    'cohere:embed-english-v3.0': ('0.0001', '0'),
    'ollama:llama3': ('0', '0'),
    'ollama:mistral': ('0', '0'),
    'ollama:codellama': ('0', '0'),
}

REQUIRED_PROVIDERS = ('openai', 'anthropic', 'google', 'groq', 'mistral', 'cohere', 'deepseek', 'x-ai')


def dec(value: Decimal) -> str:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise SystemExit(f'unexpected price value {value!r}')
    text = format(value, 'f')
    return text


def clause(c: object) -> dict:
    if isinstance(c, T.ClauseEquals):
        return {'equals': c.equals}
    if isinstance(c, T.ClauseStartsWith):
        return {'starts_with': c.starts_with}
    if isinstance(c, T.ClauseEndsWith):
        return {'ends_with': c.ends_with}
    if isinstance(c, T.ClauseContains):
        return {'contains': c.contains}
    if isinstance(c, T.ClauseRegex):
        return {'regex': c.regex}
    if isinstance(c, T.ClauseOr):
        return {'or': [clause(x) for x in c.or_]}
    if isinstance(c, T.ClauseAnd):
        return {'and': [clause(x) for x in c.and_]}
    raise SystemExit(f'unknown match clause {c!r}: update providerd\'s PriceMatch first')


def utc_time(value: time) -> str:
    if value.tzinfo is not None:
        value = datetime.combine(date(1970, 1, 1), value).astimezone(UTC).time()
    if value.microsecond:
        raise SystemExit(f'time constraint {value!r} has sub-second precision; providerd keeps seconds')
    return value.strftime('%H:%M:%S')


def constraint(c: object) -> dict | None:
    if c is None:
        return None
    if isinstance(c, T.StartDateConstraint):
        return {'start_date': c.start_date.isoformat()}
    if isinstance(c, T.TimeOfDateConstraint):
        return {'start_time': utc_time(c.start_time), 'end_time': utc_time(c.end_time)}
    raise SystemExit(f'unknown price constraint {c!r}: update providerd\'s PriceTable first')


def price_value(value: object) -> object:
    if isinstance(value, T.TieredPrices):
        return {'base': dec(value.base), 'tiers': [{'start': t.start, 'price': dec(t.price)} for t in value.tiers]}
    return dec(value)


def model_price(mp: T.ModelPrice) -> dict:
    out = {}
    for key in CARRIED_KEYS:
        value = getattr(mp, key, None)
        if value is not None:
            out[key] = price_value(value)
    return out


def model_prices(model: T.ModelInfo) -> object:
    if isinstance(model.prices, T.ModelPrice):
        return model_price(model.prices)
    return [{'when': constraint(cp.constraint), **model_price(cp.prices)} for cp in model.prices]


def provider_entry(p: T.Provider) -> dict:
    entry: dict = {'id': p.id}
    if p.provider_match is not None:
        entry['provider_match'] = clause(p.provider_match)
    if p.fallback_model_providers:
        entry['fallback'] = list(p.fallback_model_providers)
    entry['models'] = [{'id': m.id, 'match': clause(m.match), 'prices': model_prices(m)} for m in p.models]
    return entry


def resolve(provider_id: str, model: str):
    """genai-prices' own lookup for a providerd model string, or None."""
    provider_id = ALIASES.get(provider_id, provider_id)
    try:
        return genai_prices.data_snapshot.get_snapshot().find_provider_model(model, None, provider_id, None)
    except LookupError:
        return None


def seed_only_models(by_id: dict[str, dict]) -> None:
    """Seed-priced models genai-prices lacks keep the seed's price (per 1K → per 1M)."""
    for model_string, (inp, out) in SEED_PRICES.items():
        provider_id, model = model_string.split(':', 1)
        if provider_id in LOCAL_PROVIDERS or resolve(provider_id, model) is not None:
            continue
        target = ALIASES.get(provider_id, provider_id)
        if target not in by_id:
            raise SystemExit(f'seed model {model_string}: provider {target} is not in genai-prices')
        by_id[target]['models'].append({
            'id': model,
            'match': {'equals': model},
            'prices': {'input_mtok': dec(Decimal(inp) * 1000), 'output_mtok': dec(Decimal(out) * 1000)},
            'origin': 'seed',
        })


# --- self-check: a reference evaluation of the written structure -------------

def evaluate(prices: dict, usage: dict, requests: int) -> Decimal:
    """The cost providerd computes from one carried price set (see PriceRates.swift)."""
    def rate(key: str) -> Decimal | None:
        value = prices.get(key)
        if value is None or isinstance(value, str):
            return None if value is None else Decimal(value)
        applicable = Decimal(value['base'])
        for tier in reversed(value['tiers']):
            if usage['input_tokens'] > tier['start']:
                applicable = Decimal(tier['price'])
                break
        return applicable

    cache_read = usage['cache_read_tokens'] if 'cache_read_mtok' in prices else 0
    cache_write = usage['cache_write_tokens'] if 'cache_write_mtok' in prices else 0
    counts = {
        'input_mtok': usage['input_tokens'] - cache_read - cache_write,
        'cache_read_mtok': cache_read,
        'cache_write_mtok': cache_write,
        'output_mtok': usage['output_tokens'],
    }
    total = Decimal(0)
    for key, count in counts.items():
        r = rate(key)
        if r is not None:
            total += r * count / 1_000_000
    fee = rate('requests_kcount')
    if fee is not None:
        total += fee * requests / 1000
    return total


PROBES = [
    dict(input_tokens=0, output_tokens=0, cache_read_tokens=0, cache_write_tokens=0),
    dict(input_tokens=1234, output_tokens=567, cache_read_tokens=0, cache_write_tokens=0),
    dict(input_tokens=150_000, output_tokens=4_000, cache_read_tokens=100_000, cache_write_tokens=20_000),
    dict(input_tokens=250_001, output_tokens=9_999, cache_read_tokens=50_000, cache_write_tokens=70_000),
    dict(input_tokens=1_000_000_000, output_tokens=1_000_000_000, cache_read_tokens=400_000_000, cache_write_tokens=600_000_000),
]


def probe_times(model: T.ModelInfo) -> list[datetime]:
    times = [datetime(2026, 11, 26, 12, 0, tzinfo=UTC)]
    if not isinstance(model.prices, T.ModelPrice):
        for cp in model.prices:
            c = cp.constraint
            if isinstance(c, T.StartDateConstraint):
                start = datetime.combine(c.start_date, time(0), tzinfo=UTC)
                times += [start - timedelta(seconds=1), start]
            elif isinstance(c, T.TimeOfDateConstraint):
                day = date(2026, 11, 26)
                for t in (c.start_time, c.end_time):
                    at = datetime.combine(day, t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC)
                    times += [at - timedelta(seconds=1), at]
    return times


def carried_prices_at(entry: dict, when: datetime) -> dict:
    prices = entry['prices']
    if isinstance(prices, dict):
        return prices
    chosen = prices[0]
    for cp in reversed(prices):
        w = cp['when']
        if w is None:
            chosen = cp
            break
        if 'start_date' in w and when.astimezone(UTC).date() >= date.fromisoformat(w['start_date']):
            chosen = cp
            break
        if 'start_time' in w:
            now = when.astimezone(UTC).time().replace(tzinfo=None)
            start, end = time.fromisoformat(w['start_time']), time.fromisoformat(w['end_time'])
            inside = (now >= start or now < end) if end < start else (start <= now < end)
            if inside:
                chosen = cp
                break
    return chosen


def self_check(out_providers: list[dict]) -> int:
    checked = 0
    for p, entry_p in zip(providers, out_providers):
        for m, entry_m in zip(p.models, entry_p['models']):
            for when in probe_times(m):
                carried = carried_prices_at(entry_m, when)
                for usage in PROBES:
                    try:
                        expected = m.calc_price(genai_prices.Usage(**usage), p, genai_request_timestamp=when).total_price
                    except ValueError:
                        continue  # genai-prices refuses this usage for this model (e.g. an audio-only unit)
                    got = evaluate(carried, usage, 1)
                    if got != expected:
                        raise SystemExit(f'self-check failed: {p.id}/{m.id} at {when} {usage}: '
                                         f'file gives {got}, calc_price {expected}')
                    checked += 1
    return checked


def layout(document: dict) -> str:
    """JSON with one model per line, so that a genai-prices update reads as a diff."""
    def compact(value: object) -> str:
        return json.dumps(value, separators=(',', ':'), ensure_ascii=False)

    lines = ['{']
    for key in ('source', 'about', 'aliases'):
        lines.append(f'  {compact(key)}: {compact(document[key])},')
    lines.append('  "providers": [')
    for i, provider in enumerate(document['providers']):
        head = {k: v for k, v in provider.items() if k != 'models'}
        models = provider['models']
        lines.append('    ' + compact(head)[:-1] + (',"models":[' if models else ',"models":[]'))
        for j, model in enumerate(models):
            lines.append('      ' + compact(model) + (',' if j < len(models) - 1 else ''))
        if models:
            lines.append('    ]}' + (',' if i < len(document['providers']) - 1 else ''))
        else:
            lines[-1] += '}' + (',' if i < len(document['providers']) - 1 else '')
    lines.append('  ]')
    lines.append('}')
    text = '\n'.join(lines) + '\n'
    if json.loads(text) != document:
        raise SystemExit('layout() changed the document')
    return text


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit('usage: update_prices.py OUTPUT')
    out_providers = [provider_entry(p) for p in providers]
    by_id = {entry['id']: entry for entry in out_providers}
    missing = [p for p in REQUIRED_PROVIDERS if p not in by_id]
    if missing:
        raise SystemExit(f'genai-prices {genai_prices.__version__} lacks providers {missing}')
    checked = self_check(out_providers)
    seed_only_models(by_id)
    for local in LOCAL_PROVIDERS:
        out_providers.append({'id': local, 'local': True, 'origin': 'providerd', 'models': []})

    document = {
        'source': {
            'package': 'genai-prices',
            'version': genai_prices.__version__,
            'generated': datetime.now(UTC).date().isoformat(),
        },
        'about': (
            'Generated by scripts/update-prices; do not edit. USD per million tokens (requests_kcount: per 1,000 '
            'requests). The default price variant of each model, with tiers and dated or time-of-day prices; '
            'other price variants (service tiers) and units a usage record does not carry (audio, images, '
            'documents, searches) are left out. Models with "origin": "seed" are the replaced UsageTracker\'s '
            'prices for models genai-prices lacks; "local" providers cost 0.'
        ),
        'aliases': ALIASES,
        'providers': out_providers,
    }
    with open(sys.argv[1], 'w', encoding='utf-8') as f:
        f.write(layout(document))
    models = sum(len(p['models']) for p in out_providers)
    seed = sum(1 for p in out_providers for m in p['models'] if m.get('origin') == 'seed')
    print(f'{sys.argv[1]}: genai-prices {genai_prices.__version__}, {len(out_providers)} providers, '
          f'{models} models ({seed} from the seed), {checked} probe prices equal to calc_price', file=sys.stderr)


if __name__ == '__main__':
    main()
