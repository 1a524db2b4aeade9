import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// Costs in model_usage against genai-prices' own `calc_price`, at the version
/// etc/prices.json names (scripts/test installs that version): records for
/// every model the file can match (each equals/starts_with/contains literal, with
/// PydanticAI's provider prefixes and dated suffixes), tokens across tiers and
/// caches, timestamps on the days and hours where prices change, through the
/// socket and the flusher into the database. Per (service, model) the stored cost
/// must equal the sum of calc_price within 0.000001 USD per record.
@Suite("Costs equal genai-prices' calc_price", .enabled(if: TestEnvironment.databaseTestsEnabled && TestEnvironment.pythonTestsEnabled))
struct PriceOracleTests {
    static let oracle = #"""
        import json, random, sys
        from datetime import datetime, timedelta, timezone, time
        from decimal import Decimal
        import genai_prices
        from genai_prices import calc_price, Usage

        prices_path, now, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
        doc = json.load(open(prices_path))
        if genai_prices.__version__ != doc['source']['version']:
            sys.exit(f"genai-prices {genai_prices.__version__} installed, the file names {doc['source']['version']}")
        rng = random.Random(seed)
        aliases = doc['aliases']
        prefixes = {}
        for alias, target in aliases.items():
            prefixes.setdefault(target, []).append(alias)
        local = {p['id'] for p in doc['providers'] if p.get('local')}
        SEED_ONLY = {'cohere:embed-english-v3.0': (Decimal('0.0001'), Decimal(0))}  # per 1K, the seed's price table

        def literals(clause):
            for key, value in clause.items():
                if key in ('or', 'and'):
                    for c in value:
                        yield from literals(c)
                elif key == 'equals':
                    yield value
                elif key == 'starts_with':
                    yield from (value, value + '-2025-06-01', value + '-20250601')
                elif key == 'contains':
                    yield value

        candidates = []
        for p in doc['providers']:
            if p['id'] in local:
                candidates += [(p['id'], 'llama3'), (p['id'], 'qwen2.5:7b')]
                continue
            for m in p['models']:
                for lit in sorted(set(literals(m['match']))):
                    if lit and len(lit.encode()) < 180 and lit.isprintable():
                        candidates.append((rng.choice([p['id']] + prefixes.get(p['id'], [])), lit))
        candidates += [('openai', 'no-such-model-xyz'), ('nosuchprovider', 'gpt-4o'), ('anthropic', 'claude-zzz-1')]

        # Days: recent ones, and either side of every dated price change in the window.
        days = {0, 1, 2, 30, 60, 100}
        today = datetime.fromtimestamp(now, timezone.utc).date()
        for p in doc['providers']:
            for m in p['models']:
                for entry in (m['prices'] if isinstance(m['prices'], list) else []):
                    start = (entry.get('when') or {}).get('start_date')
                    if start:
                        back = (today - datetime.fromisoformat(start).date()).days
                        days |= {d for d in (back, back + 1) if 0 <= d <= 110}
        days = sorted(days)
        # Hours: either side of every daily window's edges (deepseek's off-peak).
        edges = [12 * 3600]
        for p in doc['providers']:
            for m in p['models']:
                for entry in (m['prices'] if isinstance(m['prices'], list) else []):
                    w = entry.get('when') or {}
                    for key in ('start_time', 'end_time'):
                        if key in w:
                            h, mi, s = map(int, w[key].split(':'))
                            edges += [h * 3600 + mi * 60 + s - 1, h * 3600 + mi * 60 + s]

        def timestamp():
            while True:
                day = rng.choice(days)
                second = rng.choice(edges) if rng.random() < 0.5 else rng.randrange(86400)
                t = datetime.combine(today - timedelta(days=day), time(0), timezone.utc) + timedelta(seconds=second % 86400)
                t += timedelta(microseconds=rng.choice([0, 0, 250000, 999999]))
                if t.timestamp() <= now:
                    break
            offset = rng.choice([timedelta(0), timedelta(hours=5, minutes=30), timedelta(hours=-8)])
            local_t = t.astimezone(timezone(offset))
            text = local_t.isoformat(timespec='microseconds' if t.microsecond else 'seconds')
            return t, text.replace('+00:00', 'Z')

        lines, expected, refused = [], {}, 0
        for n in range(count):
            prefix, model = candidates[n % len(candidates)] if n < len(candidates) else rng.choice(candidates)
            service = rng.choice(['svc-a', 'svc-b'])
            size = rng.random()
            inp = (rng.randint(0, 5000) if size < 0.4 else rng.randint(100_000, 300_000) if size < 0.8
                   else rng.randint(0, 3_000_000) if size < 0.98 else 1_000_000_000)
            cache_read = rng.randint(0, inp) if rng.random() < 0.5 else 0
            cache_write = rng.randint(0, inp - cache_read) if rng.random() < 0.3 else 0
            out = rng.randint(0, 60_000) if rng.random() < 0.98 else 1_000_000_000
            requests = 1 if rng.random() < 0.8 else rng.randint(2, 5)
            when, text = timestamp()
            usage = Usage(input_tokens=inp, output_tokens=out, cache_read_tokens=cache_read, cache_write_tokens=cache_write)
            provider = aliases.get(prefix, prefix)
            priced = True
            try:
                result = calc_price(usage, model, provider_id=provider, genai_request_timestamp=when)
                cost = result.total_price
                fee = getattr(result.model_price, 'requests_kcount', None)
                if fee is not None:  # providerd charges the per-call fee per request
                    cost += fee * (requests - 1) / 1000
            except LookupError:
                if prefix in local:
                    cost = Decimal(0)
                elif f'{prefix}:{model}' in SEED_ONLY:
                    i, o = SEED_ONLY[f'{prefix}:{model}']
                    cost = i * inp / 1000 + o * out / 1000
                else:  # the seed's fallback, unpriced
                    cost, priced = Decimal('0.001') * inp / 1000 + Decimal('0.002') * out / 1000, False
            except ValueError:
                refused += 1  # genai-prices refuses this usage for this model: not sent
                continue
            model_string = f'{prefix}:{model}'
            lines.append(json.dumps({'service_name': service, 'model_string': model_string, 'input_tokens': inp,
                                     'output_tokens': out, 'cache_read_tokens': cache_read,
                                     'cache_write_tokens': cache_write, 'request_count': requests,
                                     'timestamp': text, 'id': f'oracle-{n}'}))
            row = expected.setdefault(f'{service}\t{model_string}', {'cost': Decimal(0), 'records': 0, 'requests': 0, 'unpriced': 0})
            row['cost'] += cost
            row['records'] += 1
            row['requests'] += requests
            row['unpriced'] += 0 if priced else requests
        for row in expected.values():
            row['cost'] = str(row['cost'])
        json.dump({'lines': lines, 'expected': expected, 'refused': refused, 'candidates': len(candidates)}, sys.stdout)
        """#

    struct Expected: Decodable {
        var cost: String
        var records: Int
        var requests: Int
        var unpriced: Int
    }

    struct Oracle: Decodable {
        var lines: [String]
        var expected: [String: Expected]
        var refused: Int
        var candidates: Int
    }

    @Test("etc/prices.json is exactly what scripts/update-prices makes from the genai-prices version it names")
    func fileMatchesGenerator() async throws {
        let root = TestCluster.repositoryRoot
        let directory = try TemporaryDirectory()
        let fresh = directory.file("prices.json")
        let generator = root.appendingPathComponent("scripts/lib/update_prices.py").path
        let committed = root.appendingPathComponent("etc/prices.json").path
        let output = try await onThread {
            try ProcessRunner.python(
                """
                import runpy, sys
                sys.argv = sys.argv[1:]
                runpy.run_path(sys.argv[0], run_name='__main__')
                """, [generator, fresh])
        }
        #expect(output.stderrText.contains("probe prices equal to calc_price"))
        let comparison = try await onThread {
            try ProcessRunner.python(
                """
                import json, sys
                a, b = (json.load(open(p)) for p in sys.argv[1:3])
                a['source'].pop('generated'); b['source'].pop('generated')
                print('same' if a == b else 'different')
                """, [committed, fresh])
        }
        #expect(comparison.stdoutText == "same\n", "regenerate etc/prices.json with scripts/update-prices")
    }

    @Test("per (service, model), model_usage's cost equals the sum of calc_price within 0.000001 USD per record")
    func costsEqualCalcPrice() async throws {
        let prices = TestCluster.repositoryRoot.appendingPathComponent("etc/prices.json").path
        let now = Int(Date().timeIntervalSince1970)
        let output = try await onThread {
            try ProcessRunner.python(Self.oracle, [prices, String(now), "12000", "20261126"])
        }
        let oracle = try JSONDecoder().decode(Oracle.self, from: Data(output.stdoutText.utf8))
        #expect(oracle.candidates > 3_000)
        #expect(oracle.refused < 50, "genai-prices refused \(oracle.refused) generated usages")
        #expect(oracle.lines.count + oracle.refused == 12_000)

        let fixture = try DaemonFixture()
        fixture.extraEnvironment["PROVIDERD_TIMESTAMP_WINDOW"] = String(115 * 86_400)
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        let socket = fixture.socket
        let lines = oracle.lines
        let replies = try await onThread {
            let client = try UnixSocketClient(path: socket)
            var replies: [String] = []
            for chunk in stride(from: 0, to: lines.count, by: 500) {
                let part = lines[chunk..<min(chunk + 500, lines.count)]
                try client.send(part.joined(separator: "\n") + "\n")
                for _ in part { replies.append(try client.readLine() ?? "<closed>") }
            }
            return replies
        }
        let refusedBySocket = zip(lines, replies).filter { $0.1 != #"{"ok":true}"# }
        #expect(refusedBySocket.isEmpty, "refused: \(refusedBySocket.prefix(3))")

        let totalRequests = oracle.expected.values.reduce(0) { $0 + $1.requests }
        #expect(
            DaemonProcess.eventually(timeout: 120) {
                guard let connection = try? PostgresConnection(ConnectionOptions(conninfo: fixture.url)),
                    let rows = try? connection.query("SELECT COALESCE(SUM(request_count), 0)::bigint AS r FROM model_usage").rows
                else { return false }
                return (try? rows[0].int("r")) == totalRequests
            })
        let connection = try PostgresConnection(ConnectionOptions(conninfo: fixture.url))
        let rows = try connection.query(
            """
            SELECT service_name, model_string, SUM(estimated_cost)::text AS cost, SUM(request_count)::bigint AS requests,
                   SUM(unpriced_requests)::bigint AS unpriced
            FROM model_usage GROUP BY service_name, model_string
            """
        ).rows
        #expect(rows.count == oracle.expected.count)
        var worst = Decimal(0), compared = 0, pricedModels = Set<String>()
        for row in rows {
            let key = "\(try row.string("service_name"))\t\(try row.string("model_string"))"
            guard let expected = oracle.expected[key] else {
                Issue.record("unexpected row \(key)")
                continue
            }
            let stored = Decimal(string: try row.string("cost"), locale: Locale(identifier: "en_US_POSIX"))!
            let wanted = Decimal(string: expected.cost, locale: Locale(identifier: "en_US_POSIX"))!
            var difference = stored - wanted
            if difference < 0 { difference = -difference }
            let tolerance = Decimal(expected.records) * Decimal(sign: .plus, exponent: -6, significand: 1)
            #expect(difference <= tolerance, "\(key): stored \(stored), calc_price \(wanted)")
            #expect(try row.int("requests") == expected.requests, "\(key)")
            #expect(try row.int("unpriced") == expected.unpriced, "\(key)")
            worst = max(worst, difference / Decimal(expected.records))
            compared += 1
            if expected.unpriced == 0 { pricedModels.insert(key) }
        }
        #expect(compared == oracle.expected.count)
        #expect(pricedModels.count > 3_000)
        print("price oracle: \(compared) (service, model) rows, \(lines.count) records, largest difference per record \(worst) USD")
        #expect(daemon.stop() == 0)
    }
}
