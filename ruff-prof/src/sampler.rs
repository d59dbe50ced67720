//! The sampler thread: reads the VM's shadow stack at a fixed rate and
//! interns each stack it sees.
//!
//! It sleeps between samples against a monotonic clock (`Instant`) instead of
//! using a signal timer: the VM thread is never interrupted, so the only cost
//! to the program is the cache traffic of a few atomic loads per sample. Two
//! things bound the overhead on a busy machine: a missed deadline is skipped,
//! not made up with a burst, and when copying a very deep stack takes more
//! than a quarter of the interval the sampler backs off so that it never uses
//! more than about a fifth of a core.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ruff_core::runtime::shadow::{FrameSample, ShadowStack};

/// What the sampler saw, before names are attached.
#[derive(Debug, Default)]
pub struct RawProfile {
    /// Each distinct stack (outermost frame first), indexed by stack id.
    pub stacks: Vec<Box<[FrameSample]>>,
    /// Every sample in time order: (stack id, microseconds since start).
    pub samples: Vec<(u32, u64)>,
    /// How long the sampler ran.
    pub elapsed: Duration,
    /// Deadlines skipped because the sampler was not scheduled in time.
    pub missed: u64,
}

#[derive(Clone, Copy, Debug)]
pub struct SamplerConfig {
    pub rate_hz: u32,
    /// Stop sampling after this long (the program keeps running).
    pub duration: Option<Duration>,
}

pub struct Sampler {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<RawProfile>,
}

impl Sampler {
    pub fn start(shadow: Arc<ShadowStack>, config: SamplerConfig) -> std::io::Result<Sampler> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("ruff-prof-sampler".into())
            .spawn(move || sample_loop(&shadow, config, &flag))?;
        Ok(Sampler { stop, handle })
    }

    /// Stop sampling now and return the samples.
    pub fn finish(self) -> RawProfile {
        self.stop.store(true, Ordering::Relaxed);
        // The sampler parks between samples: wake it rather than wait out
        // an interval (a whole second at `--rate 1`).
        self.handle.thread().unpark();
        self.handle.join().unwrap_or_default()
    }
}

fn sample_loop(shadow: &ShadowStack, config: SamplerConfig, stop: &AtomicBool) -> RawProfile {
    let interval = Duration::from_secs_f64(1.0 / f64::from(config.rate_hz.max(1)));
    let start = Instant::now();
    let end = config.duration.map(|d| start + d);
    let mut ids: HashMap<Box<[FrameSample]>, u32> = HashMap::new();
    let mut raw = RawProfile::default();
    let mut frames = Vec::with_capacity(256);
    let mut deadline = start + interval;
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if end.is_some_and(|e| now >= e) {
            break;
        }
        if deadline > now {
            // Parking may wake early (spuriously or by `finish`): the loop
            // re-checks the clock and the stop flag.
            std::thread::park_timeout(deadline - now);
            continue;
        }
        let work_start = Instant::now();
        shadow.sample(&mut frames);
        // An empty stack is the time before `<main>` starts or after it
        // returns: not the program's time.
        if !frames.is_empty() {
            let id = match ids.get(frames.as_slice()) {
                Some(&id) => id,
                None => {
                    let id = raw.stacks.len() as u32;
                    let stack: Box<[FrameSample]> = frames.as_slice().into();
                    raw.stacks.push(stack.clone());
                    ids.insert(stack, id);
                    id
                }
            };
            raw.samples
                .push((id, work_start.duration_since(start).as_micros() as u64));
        }
        let after = Instant::now();
        let work = after - work_start;
        deadline += interval;
        if deadline <= after {
            // Fell behind (descheduled): skip, do not burst.
            raw.missed += ((after - deadline).as_secs_f64() / interval.as_secs_f64()) as u64 + 1;
            deadline = after + interval;
        }
        if work * 4 > interval {
            // Copying a deep stack is expensive: keep the duty cycle low.
            deadline = deadline.max(after + work * 4);
        }
    }
    raw.elapsed = start.elapsed();
    raw
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_core::runtime::shadow::Tier;

    #[test]
    fn interns_stacks_and_skips_empty_ones() {
        let shadow = Arc::new(ShadowStack::new(8));
        shadow.push(0, Tier::Interpreted, 1);
        shadow.push(1, Tier::Interpreted, 4);
        let s = Sampler::start(
            shadow.clone(),
            SamplerConfig {
                rate_hz: 2000,
                duration: None,
            },
        )
        .expect("thread");
        std::thread::sleep(Duration::from_millis(60));
        shadow.truncate(0);
        std::thread::sleep(Duration::from_millis(20));
        let raw = s.finish();
        assert_eq!(raw.stacks.len(), 1, "one distinct stack");
        assert!(raw.samples.len() >= 5, "{} samples", raw.samples.len());
        assert_eq!(raw.stacks[0].len(), 2);
    }

    #[test]
    fn duration_stops_sampling() {
        let shadow = Arc::new(ShadowStack::new(8));
        shadow.push(0, Tier::Interpreted, 1);
        let s = Sampler::start(
            shadow,
            SamplerConfig {
                rate_hz: 1000,
                duration: Some(Duration::from_millis(30)),
            },
        )
        .expect("thread");
        std::thread::sleep(Duration::from_millis(150));
        let raw = s.finish();
        assert!(raw.samples.len() <= 40, "{} samples", raw.samples.len());
        assert!(raw.elapsed < Duration::from_millis(120));
    }
}
