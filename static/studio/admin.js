// The spend chart's bars (templates/admin/billing/costentry/change_list.html): each bar's height,
// a percentage of the busiest day, comes from its data-height. Set from here because the CSP
// refuses style attributes in the page; a style set from a script is allowed.
document.querySelectorAll(".spend-bars [data-height]").forEach((bar) => {
  bar.style.height = `${Number(bar.dataset.height)}%`;
});
