/* Product videos (templates/catalog/_video.html): play muted and looping while at least half of
 * the video is on screen, pause when it leaves. Nothing plays by itself for people who ask for
 * reduced motion, and a video the shopper paused stays paused. Without this script (or without
 * IntersectionObserver) the video simply waits for its play button: preload="none" either way. */
'use strict';

(() => {
  const videos = document.querySelectorAll('video[data-inview-video]');
  if (!videos.length || !('IntersectionObserver' in window)) return;
  const motion = window.matchMedia('(prefers-reduced-motion: reduce)');
  const heldByShopper = new WeakSet();

  const observer = new IntersectionObserver((entries) => {
    entries.forEach((entry) => {
      const video = entry.target;
      if (entry.isIntersecting && !motion.matches && !heldByShopper.has(video)) {
        video.muted = true;  // browsers only start muted videos by themselves
        const started = video.play();
        if (started) started.catch(() => {});  // refused (data saver, low power): the play button stays
      } else if (!entry.isIntersecting && !video.paused) {
        video.dataset.autoPaused = '1';
        video.pause();
      }
    });
  }, { threshold: 0.5 });

  videos.forEach((video) => {
    // A pause the shopper made (not ours on scrolling away) keeps the video still until they play it.
    video.addEventListener('pause', () => {
      if (video.dataset.autoPaused) delete video.dataset.autoPaused;
      else if (!video.ended) heldByShopper.add(video);
    });
    video.addEventListener('play', () => heldByShopper.delete(video));
    observer.observe(video);
  });
  motion.addEventListener('change', () => {
    if (motion.matches) videos.forEach((video) => { if (!video.paused) { video.dataset.autoPaused = '1'; video.pause(); } });
  });
})();
