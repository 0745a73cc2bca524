//! `cargo xtask bench`'s native half: the same model, inputs and figures as the browser benchmark,
//! run natively by the same `Scorer` (the ceiling for the same code), and by tract's plan alone. It also writes the inputs both browser
//! runtimes use, so every figure in the table comes from one set of applicants.
//!
//! usage: bench-native --model MODEL.onnx --out DIR [--rows 100000] [--inputs-only]
//! writes DIR/inputs.bin (f32 little-endian, rows × k), DIR/values.json (applicants as
//! `{ field: value }` for `Scorer.score`), DIR/native_pd.bin and DIR/native.json; with
//! `--inputs-only` only the inputs (for the browser-only runs, from any build profile).

#![forbid(unsafe_code)]

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    match native::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-native: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::error::Error;
    use std::fmt::Write as _;
    use std::path::PathBuf;
    use std::time::Instant;

    use credit_scorer::Scorer;
    // Deterministic inputs: the same seed gives the same applicants on every machine.
    use credit_scorer::rng::SplitMix64;
    use credit_scorer::schema::FeatureKind;

    type Result<T = ()> = std::result::Result<T, Box<dyn Error>>;

    /// One applicant inside the schema's ranges.
    fn applicant(scorer: &Scorer, rng: &mut SplitMix64) -> Vec<f32> {
        scorer
            .schema()
            .features
            .iter()
            .map(|f| match &f.kind {
                FeatureKind::Categorical { categories } if !categories.is_empty() => {
                    let i = (rng.next_u64() % categories.len() as u64) as usize;
                    categories.get(i).map_or(0.0, |c| c.code as f32)
                }
                FeatureKind::Categorical { .. } => 0.0,
                FeatureKind::Numeric { min, max, step, .. } => {
                    let lo = min.unwrap_or(0.0);
                    let hi = max.unwrap_or(lo + 100.0);
                    let mut v = lo + rng.unit() * (hi - lo);
                    if let Some(s) = step.filter(|s| *s > 0.0) {
                        v = (lo + ((v - lo) / s).round() * s).min(hi);
                    }
                    v as f32
                }
            })
            .collect()
    }

    fn percentile(sorted: &[f64], p: f64) -> f64 {
        let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted.get(i).copied().unwrap_or(f64::NAN)
    }

    fn median_of(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        percentile(&v, 0.5)
    }

    pub fn run() -> Result {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let value = |name: &str| {
            args.iter()
                .position(|a| a == name)
                .and_then(|i| args.get(i + 1))
                .cloned()
        };
        let model = value("--model").ok_or("--model is required")?;
        let out = PathBuf::from(value("--out").ok_or("--out is required")?);
        let rows: usize = value("--rows").map_or(Ok(100_000), |r| r.parse())?;
        std::fs::create_dir_all(&out)?;
        let bytes = std::fs::read(&model)?;

        let start = Instant::now();
        let scorer = Scorer::from_bytes(&bytes)?;
        let load_ms = start.elapsed().as_secs_f64() * 1e3;
        let k = scorer.model().k();

        let mut rng = SplitMix64(0x00C0_FFEE);
        let inputs: Vec<f32> = (0..rows)
            .flat_map(|_| applicant(&scorer, &mut rng))
            .collect();
        let mut raw = Vec::with_capacity(inputs.len() * 4);
        for v in &inputs {
            raw.extend_from_slice(&v.to_le_bytes());
        }
        std::fs::write(out.join("inputs.bin"), raw)?;
        let names: Vec<&str> = scorer
            .schema()
            .features
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        let mut values = String::from("[");
        for (i, row) in inputs.chunks_exact(k).take(1000).enumerate() {
            values.push_str(if i == 0 { "{" } else { ",{" });
            for (j, (name, v)) in names.iter().zip(row).enumerate() {
                let sep = if j == 0 { "" } else { "," };
                write!(values, "{sep}\"{name}\":{v}")?;
            }
            values.push('}');
        }
        values.push(']');
        std::fs::write(out.join("values.json"), values)?;
        if args.iter().any(|a| a == "--inputs-only") {
            return Ok(());
        }

        // Single applicant: 10,000 calls, each timed.
        let singles = 10_000.min(rows);
        for row in inputs.chunks_exact(k).take(200) {
            scorer.predict(row)?;
        }
        let mut times = Vec::with_capacity(singles);
        for row in inputs.chunks_exact(k).take(singles) {
            let t = Instant::now();
            let p = scorer.predict(row)?;
            times.push(t.elapsed().as_secs_f64() * 1e6);
            std::hint::black_box(p);
        }
        times.sort_by(f64::total_cmp);
        let single_median_us = percentile(&times, 0.5);
        let single_p99_us = percentile(&times, 0.99);
        let single_mean_us = times.iter().sum::<f64>() / times.len() as f64;

        // Batch: all rows in one call, and in chunks of 1,000; median of 3.
        let mut pds = Vec::new();
        let mut one_call = Vec::new();
        let mut chunked = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            let p = scorer.predict(&inputs)?;
            one_call.push(rows as f64 / t.elapsed().as_secs_f64());
            pds = p;
            let t = Instant::now();
            for chunk in inputs.chunks(1000 * k) {
                std::hint::black_box(scorer.predict(chunk)?);
            }
            chunked.push(rows as f64 / t.elapsed().as_secs_f64());
        }
        let mut raw = Vec::with_capacity(pds.len() * 4);
        for p in &pds {
            raw.extend_from_slice(&(p.pd as f32).to_le_bytes());
        }
        std::fs::write(out.join("native_pd.bin"), raw)?;

        // Score + explanation (exact Shapley over 2^k coalitions).
        let mut explain = Vec::new();
        for (i, row) in inputs.chunks_exact(k).take(220).enumerate() {
            let t = Instant::now();
            std::hint::black_box(scorer.assess(row)?);
            if i >= 20 {
                explain.push(t.elapsed().as_secs_f64() * 1e3);
            }
        }
        explain.sort_by(f64::total_cmp);

        // The same figures through tract's plan (the direct evaluator switched off), side by side.
        let tract_scorer = Scorer::from_bytes_with(
            &bytes,
            &credit_scorer::LoadOptions {
                direct: false,
                ..Default::default()
            },
        )?;
        let mut tract_times = Vec::with_capacity(singles);
        for row in inputs.chunks_exact(k).take(singles) {
            let t = Instant::now();
            std::hint::black_box(tract_scorer.predict(row)?);
            tract_times.push(t.elapsed().as_secs_f64() * 1e6);
        }
        tract_times.sort_by(f64::total_cmp);
        let mut tract_chunked = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            for chunk in inputs.chunks(1000 * k) {
                std::hint::black_box(tract_scorer.predict(chunk)?);
            }
            tract_chunked.push(rows as f64 / t.elapsed().as_secs_f64());
        }
        let engine = format!("{:?}", scorer.model().engine()).to_lowercase();

        let json = format!(
            "{{\"runtime\":\"credit-scorer native, {engine} engine (tract {tract}, {profile})\",\"engine\":\"{engine}\",\
             \"tract_single_median_us\":{:.3},\"tract_batch_chunks_rows_per_s\":{:.0},\"k\":{k},\"rows\":{rows},\"load_ms\":{load_ms:.3},\
             \"single_median_us\":{single_median_us:.3},\"single_p99_us\":{single_p99_us:.3},\"single_mean_us\":{single_mean_us:.3},\
             \"batch_one_call_rows_per_s\":{:.0},\"batch_chunks_rows_per_s\":{:.0},\
             \"explain_median_ms\":{:.4},\"explain_p99_ms\":{:.4}}}",
            percentile(&tract_times, 0.5),
            median_of(tract_chunked),
            median_of(one_call),
            median_of(chunked),
            percentile(&explain, 0.5),
            percentile(&explain, 0.99),
            tract = "0.23.9",
            profile = if cfg!(debug_assertions) {
                "dev profile: tract at opt-level 2"
            } else {
                "release profile"
            },
        );
        std::fs::write(out.join("native.json"), &json)?;
        println!("{json}");
        let profile = profile(&bytes, &inputs, k)?;
        std::fs::write(out.join("native-profile.txt"), &profile)?;
        println!("{profile}");
        Ok(())
    }

    /// Where the time goes, natively: the same plan as the scorer (input fixed to [N, k], outputs
    /// pd and logit), timed per call three ways and per operator at batch 1 and 1,000.
    fn profile(bytes: &[u8], inputs: &[f32], k: usize) -> Result<String> {
        use std::collections::BTreeMap;
        use tract_onnx::prelude::*;
        use tract_onnx::tract_core::internal::SimpleState;

        let mut model = tract_onnx::onnx().model_for_read(&mut &*bytes)?;
        let batch = model.sym("N");
        model.set_input_fact(0, f32::fact([batch.to_dim(), k.to_dim()]).into())?;
        model.select_outputs_by_name(["pd", "logit"])?;
        let plan = model.into_optimized()?.into_runnable()?;
        let scorer = credit_scorer::Scorer::from_bytes(bytes)?;
        let mut text = String::new();
        let row = |i: usize| inputs.get(i * k..(i + 1) * k).unwrap_or_default();
        let tensor = |rows: &[f32]| Tensor::from_shape(&[rows.len() / k, k], rows);

        // Per call, batch 1: the scorer's predict, plan.run (a new state per call, as predict
        // does), and one reused SimpleState.
        let n = 5000;
        let time = |f: &mut dyn FnMut(usize) -> Result| -> Result<f64> {
            for i in 0..200 {
                f(i)?;
            }
            let t = Instant::now();
            for i in 0..n {
                f(i)?;
            }
            Ok(t.elapsed().as_secs_f64() * 1e6 / n as f64)
        };
        let predict = time(&mut |i| {
            std::hint::black_box(scorer.predict(row(i))?);
            Ok(())
        })?;
        let plan_run = time(&mut |i| {
            std::hint::black_box(plan.run(tvec!(tensor(row(i))?.into_tvalue()))?);
            Ok(())
        })?;
        let mut state = SimpleState::new(&plan)?;
        let reused = time(&mut |i| {
            std::hint::black_box(state.run(tvec!(tensor(row(i))?.into_tvalue()))?);
            Ok(())
        })?;
        let spawn = time(&mut |_| {
            std::hint::black_box(SimpleState::new(&plan)?);
            Ok(())
        })?;
        writeln!(
            text,
            "batch 1, mean µs per call over {n} calls: Scorer::predict {predict:.2}, plan.run (new state) {plan_run:.2}, reused SimpleState {reused:.2}, SimpleState::new alone {spawn:.2}"
        )?;

        // Per operator: µs per call at batch 1 and 1,000, grouped by op name.
        for (batch, calls) in [(1usize, 2000usize), (1000, 50)] {
            let mut by_op: BTreeMap<String, (f64, usize)> = BTreeMap::new();
            let mut total = 0.0;
            let mut state = SimpleState::new(&plan)?;
            for c in 0..calls + 20 {
                let start = (c * batch) % (inputs.len() / k - batch);
                let x = tensor(
                    inputs
                        .get(start * k..(start + batch) * k)
                        .unwrap_or_default(),
                )?;
                let mut per_node: Vec<(String, f64)> = Vec::new();
                let t = Instant::now();
                state.run_plan_with_eval(
                    tvec!(x.into_tvalue()),
                    |ctx, op_state, node, input| {
                        let t = Instant::now();
                        let r = tract_onnx::tract_core::plan::eval(ctx, op_state, node, input);
                        per_node.push((node.op().name().to_string(), t.elapsed().as_secs_f64()));
                        r
                    },
                )?;
                if c >= 20 {
                    total += t.elapsed().as_secs_f64();
                    for (op, secs) in per_node {
                        let e = by_op.entry(op).or_insert((0.0, 0));
                        e.0 += secs;
                        e.1 += 1;
                    }
                }
            }
            let total_us = total * 1e6 / calls as f64;
            let ops_us: f64 = by_op.values().map(|(s, _)| s * 1e6 / calls as f64).sum();
            writeln!(
                text,
                "\nbatch {batch}: {total_us:.2} µs per call ({:.3} µs per row); operators {ops_us:.2} µs, outside operators (state, inputs, outputs) {:.2} µs",
                total_us / batch as f64,
                total_us - ops_us
            )?;
            let mut ops: Vec<_> = by_op.into_iter().collect();
            ops.sort_by(|a, b| b.1.0.total_cmp(&a.1.0));
            for (op, (secs, count)) in ops {
                writeln!(
                    text,
                    "  {op:<28} {:>4} nodes  {:>9.2} µs  {:>5.1}%",
                    count / calls,
                    secs * 1e6 / calls as f64,
                    100.0 * secs * 1e6 / calls as f64 / total_us
                )?;
            }
        }
        writeln!(text, "\nplan: {} nodes", plan.model().nodes().len())?;
        Ok(text)
    }
}
