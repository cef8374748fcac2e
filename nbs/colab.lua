-- "Open in Colab" badge at the top of every page Quarto renders from a notebook. nbdev_docs renders a copy of nbs/
-- (_proc/) with the same relative paths, so _proc/00_core.ipynb is nbs/00_core.ipynb on GitHub.
-- The base URL is `colab-url` in _quarto.yml. The offline site (tools/build_docs.py) adds the same badge itself.
function Pandoc(doc)
  if not quarto.doc.is_format('html') then return nil end
  local input = quarto.doc.input_file or ''
  if not input:match('%.ipynb$') or not doc.meta['colab-url'] then return nil end
  input = pandoc.path.normalize(input)
  local rel = pandoc.path.filename(input)
  local root = quarto.project and quarto.project.directory
  if root then
    root = pandoc.path.normalize(root):gsub('/$', '') .. '/'
    if input:sub(1, #root) == root then rel = input:sub(#root + 1) end
  end
  local url = pandoc.utils.stringify(doc.meta['colab-url']) .. '/' .. rel
  table.insert(doc.blocks, 1, pandoc.RawBlock('html', '<p class="colab-badge"><a href="' .. url ..
    '" target="_blank" rel="noopener"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"></a></p>'))
  return doc
end
