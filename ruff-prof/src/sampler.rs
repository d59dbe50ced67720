//! The sampler thread: reads the VM's shadow stack at a fixed rate and
//! interns each stack it sees.
//!
//! It sleeps between samples against a monotonic clock (`Instant`). Each
//! sample stops the VM thread for the few microseconds the copy takes
//! (`machine`: a signal whose handler waits), which makes the sample one
//! instant of that thread and gives its program counter, which tells JIT
//! code from the helpers it calls (`pc`). Where the signal cannot be used
//! (no VM thread known yet) it copies the stack without stopping it. Two
//! things bound the overhead on a busy machine: a missed deadline is skipped,
//! not made up with a burst, and when copying a very deep stack takes more
//! than a quarter of the interval the sampler backs off so that it never uses
//! more than about a fifth of a core.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ruff_core::runtime::shadow::{FrameSample, ShadowStack};

use crate::machine::{self, Signaller, VmThread};
use crate::pc::{self, System};

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
    /// Samples lost because the VM thread could not be stopped in time.
    pub lost: u64,
    /// Samples that read the VM thread's program counter.
    pub with_pc: u64,
    /// Names of `system` frames (`pc::SYSTEM_BIT`).
    pub system: System,
    /// `--duration` ran out (and the program was told to stop).
    pub duration_reached: bool,
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
    /// Sample `shadow`; once `vm` is set (by the VM thread), stop that
    /// thread for each sample and read its program counter.
    pub fn start(
        shadow: Arc<ShadowStack>,
        config: SamplerConfig,
        vm: Arc<OnceLock<VmThread>>,
    ) -> std::io::Result<Sampler> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let vm = machine::install().ok().map(|()| vm);
        let handle = std::thread::Builder::new()
            .name("ruff-prof-sampler".into())
            .spawn(move || sample_loop(&shadow, config, &flag, vm.as_deref()))?;
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

/// Intern a stack and record a sample of it at `at`.
fn record(
    frames: &[FrameSample],
    at: Instant,
    start: Instant,
    ids: &mut HashMap<Box<[FrameSample]>, u32>,
    raw: &mut RawProfile,
) {
    // An empty stack is the time before `<main>` starts or after it
    // returns: not the program's time.
    if frames.is_empty() {
        return;
    }
    let id = match ids.get(frames) {
        Some(&id) => id,
        None => {
            let id = raw.stacks.len() as u32;
            let stack: Box<[FrameSample]> = frames.into();
            raw.stacks.push(stack.clone());
            ids.insert(stack, id);
            id
        }
    };
    raw.samples
        .push((id, at.duration_since(start).as_micros() as u64));
}

fn sample_loop(
    shadow: &ShadowStack,
    config: SamplerConfig,
    stop: &AtomicBool,
    vm: Option<&OnceLock<VmThread>>,
) -> RawProfile {
    let interval = Duration::from_secs_f64(1.0 / f64::from(config.rate_hz.max(1)));
    let start = Instant::now();
    let end = config.duration.map(|d| start + d);
    let mut ids: HashMap<Box<[FrameSample]>, u32> = HashMap::new();
    let mut raw = RawProfile::default();
    let mut frames = Vec::with_capacity(256);
    let mut signaller: Option<(Signaller, VmThread)> = None;
    pc::init();
    let mut deadline = start + interval;
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if end.is_some_and(|e| now >= e) {
            // `--duration` bounds the run: stop the program as Ctrl-C
            // does (its profile is then written as usual).
            raw.duration_reached = true;
            ruff_core::runtime::vm::INTERRUPTED.store(true, Ordering::Relaxed);
            break;
        }
        if deadline > now {
            // Parking may wake early (spuriously or by `finish`): the loop
            // re-checks the clock and the stop flag.
            std::thread::park_timeout(deadline - now);
            continue;
        }
        let work_start = Instant::now();
        if signaller.is_none() {
            if let Some(t) = vm.and_then(OnceLock::get) {
                signaller = Some((Signaller::new(shadow, t.stack_top), *t));
            }
        }
        match &mut signaller {
            // The sample the VM thread took at the last tick, then ask
            // for the next one.
            Some((sig, t)) => {
                if let Some(ex) = sig.collect() {
                    if ex.ok && !ex.frames.is_empty() {
                        pc::apply(&ex.found, &mut ex.frames, &mut raw.system);
                        raw.with_pc += 1;
                        record(&ex.frames, work_start, start, &mut ids, &mut raw);
                    }
                }
                if !sig.request(t) {
                    raw.lost += 1;
                }
            }
            None => {
                shadow.sample(&mut frames);
                record(&frames, work_start, start, &mut ids, &mut raw);
            }
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
    // The last request's sample, if the VM thread took it.
    if let Some((mut sig, _)) = signaller {
        if let Some(ex) = sig.collect() {
            if ex.ok && !ex.frames.is_empty() {
                pc::apply(&ex.found, &mut ex.frames, &mut raw.system);
                record(&ex.frames, Instant::now(), start, &mut ids, &mut raw);
            }
        }
    }
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
            Arc::default(),
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
            Arc::default(),
        )
        .expect("thread");
        std::thread::sleep(Duration::from_millis(150));
        let raw = s.finish();
        ruff_core::runtime::vm::INTERRUPTED.store(false, Ordering::Relaxed);
        assert!(raw.duration_reached);
        assert!(raw.samples.len() <= 40, "{} samples", raw.samples.len());
        assert!(raw.elapsed < Duration::from_millis(120));
    }
}
